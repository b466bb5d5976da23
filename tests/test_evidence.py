"""[evidence]: the evidence sheet of an incident. A golden file of the South City Mall drill's
sheet (a fixed raise at 01:10 IST on 31 January 2025, so that overwrite times cross the end of
February and the UTC date differs from the IST one; a fixed "now"), the reasons compared with
the wall's own chips, a real PDF read back with poppler, escaping, recordings' hashes, and
`./nazar incident export` end to end in a subprocess on an incident raised through the real
AlarmDesk and audit log.

Regenerate the golden file after a deliberate change (the demo registry, the sheet's text):

    NAZAR_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_evidence.py -k golden
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest

from app import audit, evidence
from app.alarm import AlarmDesk
from app.commands import WallCommands
from app.incidents import select
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from tests.conftest import DEMO_REGISTRY, registry_text

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "evidence-golden.txt"
REGEN = os.environ.get("NAZAR_REGEN_GOLDEN") == "1"
# The drill: raised at 01:10 IST on Fri 31 Jan 2025 (19:40 UTC on the 30th); the window's
# default start is 00:10 IST, i.e. 18:40 UTC the day before.
T0 = datetime(2025, 1, 30, 19, 40, tzinfo=timezone.utc)
NOW = datetime(2025, 2, 27, 6, 30, tzinfo=timezone.utc)  # 12:00 IST on Thu 27 Feb
WINDOW_TO = T0 + timedelta(hours=2)
DRILL_ID = "INC-20250130-194000-1"
SCM_B1, SCM_INOX, SCM_TOWERS = "scm-nvr-b1", "scm-inox-dvr-4f", "scr-t2-nvr"
GOLF_GREEN = "station:golf-green/Golf Green PS server room/30d"


@pytest.fixture(scope="module")
def reg():
    return load_registry(DEMO_REGISTRY)


class Wall:
    """A main wall's desk on a settings directory with its audit log, as main.py builds it."""

    def __init__(self, registry, settings_dir: Path, clock=None, with_audit: bool = True):
        self.settings_dir = settings_dir
        self.store = SettingsStore(settings_dir)
        self.log = audit.AuditLog(settings_dir / audit.FILE_NAME) if with_audit else None
        model = WallModel(layout=LAYOUTS["3x3"], view=registry.default_view(9))
        self.cmds = WallCommands(model, registry, store=self.store)
        kw = {"now": clock} if clock else {}
        self.desk = AlarmDesk(self.cmds, registry, self.store, self.log, **kw)

    def close(self):
        self.store.close()
        if self.log is not None:
            self.log.close()


@pytest.fixture
def drill(reg, tmp_path):
    """The South City Mall fire drill raised at T0, acknowledged and noted."""
    wall = Wall(reg, tmp_path / "settings", clock=lambda: T0)
    inc = wall.cmds.run("exercise_drill").value
    assert inc == DRILL_ID
    wall.cmds.run("acknowledge")
    wall.cmds.run("add_note", "smoke seen on 4F near the food court")
    yield wall
    wall.close()


def media(tmp_path: Path) -> tuple[Path, Path]:
    """A snapshot directory (one snapshot in the window, one before it, one of a camera not
    selected) and a recordings directory (one segment that matches recordings.json, one
    whose hash does not), all with fixed contents."""
    snaps = tmp_path / "snapshots"
    snaps.mkdir()

    def snap(cid: str, when: str, stem: str) -> None:
        (snaps / f"{stem}.png").write_bytes(b"\x89PNG fixed bytes of " + stem.encode())
        (snaps / f"{stem}.json").write_text(json.dumps({
            "camera": {"id": cid}, "time": when, "operator": "SI Roy", "stream": "main",
            "image": f"{stem}.png"}), encoding="utf-8")

    snap("SCM-04", "2025-01-31T01:20:05+05:30", "SCM-04_20250131-012005")
    snap("SCM-04", "2025-01-29T10:00:00+05:30", "SCM-04_20250129-100000")  # before
    snap("KP-NTH-0001", "2025-01-31T01:20:00+05:30", "KP-NTH-0001_20250131-012000")
    recs = tmp_path / "recordings"
    inc_dir = recs / DRILL_ID
    files = []
    for cid, body, listed in (("SCM-02", b"segment one of SCM-02", None),
                              ("SCM-04", b"segment one of SCM-04", "0" * 64)):
        rel = f"{cid}/{cid}-0001-20250130T194000Z.mkv"
        (inc_dir / cid).mkdir(parents=True)
        (inc_dir / rel).write_bytes(body)
        files.append({"camera": cid, "path": rel,
                      "sha256": listed or hashlib.sha256(body).hexdigest(),
                      "bytes": len(body), "start_utc": "2025-01-30T19:40:00+00:00",
                      "end_utc": "2025-01-30T19:41:00+00:00"})
    (inc_dir / "recordings.json").write_text(json.dumps({"incident": DRILL_ID, "files": files}),
                                             encoding="utf-8")
    return snaps, recs


def export(reg, wall, out: Path, **kw):
    kw.setdefault("now", NOW)
    kw.setdefault("pdf_writer", None)
    return evidence.export_bundle(DRILL_ID, out, registry=reg, settings_dir=wall.settings_dir,
                                  **kw)


def normalised(text: str, wall) -> str:
    """The sheet's text without what depends on this machine (the account and host name
    that the audit log records)."""
    raised = next(r for r in audit.rows(wall.log.path, DRILL_ID) if r.event == "raise")
    return text.replace(f"{raised.os_user} on {raised.host}", "<user> on <host>")


def golden_diff(text: str) -> str:
    want = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    return "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                        str(GOLDEN.name), "this run"))


# -- the golden sheet ---------------------------------------------------------------------------
def test_golden_sheet_of_the_south_city_mall_drill(reg, drill, tmp_path):
    snaps, recs = media(tmp_path)
    bundle = export(reg, drill, tmp_path / "out", snapshot_dir=snaps, recordings_dir=recs,
                    window_to=WINDOW_TO)
    text = normalised(evidence.render_text(bundle.sheet), drill)
    if REGEN:
        GOLDEN.write_text(text, encoding="utf-8")
    assert GOLDEN.exists(), f"no golden file: run with NAZAR_REGEN_GOLDEN=1 to write {GOLDEN}"
    diff = golden_diff(text)
    assert not diff, ("the sheet differs from the golden file (NAZAR_REGEN_GOLDEN=1 "
                      "regenerates it after a deliberate change):\n" + diff)


def test_the_golden_comparison_can_fail(reg, drill, tmp_path):
    """A sheet with one overwrite time an hour off, or two recorders swapped, is caught."""
    bundle = export(reg, drill, tmp_path / "out", snapshot_dir=media(tmp_path)[0],
                    recordings_dir=tmp_path / "recordings", window_to=WINDOW_TO)
    text = normalised(evidence.render_text(bundle.sheet), drill)
    assert not golden_diff(text)
    off = text.replace("Sun 02 Mar 2025 00:10 IST", "Sun 02 Mar 2025 01:10 IST", 1)
    assert off != text and golden_diff(off)
    lines = text.splitlines(True)
    first = next(i for i, line in enumerate(lines) if line.startswith("[1] "))
    second = next(i for i, line in enumerate(lines) if line.startswith("[2] "))
    swapped = lines[:first] + lines[second:second + 1] + lines[first + 1:second] + \
        lines[first:first + 1] + lines[second + 1:]
    assert golden_diff("".join(swapped))


def test_recorders_grouped_ordered_and_flagged(reg, drill, tmp_path):
    sheet = export(reg, drill, tmp_path / "out", window_to=WINDOW_TO).sheet
    blocks = sheet["recorders"]
    # inside the site first (they may be lost), then soonest overwrite first
    assert [b["key"] for b in blocks] == [SCM_INOX, SCM_B1, GOLF_GREEN, SCM_TOWERS]
    assert [b["inside_site"] for b in blocks] == ["inside", "inside", "outside", "outside"]
    assert [b["overwrite"]["status"] for b in blocks] == ["passed", "red", "red", "ok"]
    by = {b["key"]: b for b in blocks}
    # window start 00:10 IST on Fri 31 Jan (18:40 UTC on Thu 30 Jan) + 30 days: past the end
    # of February, and a day and a weekday later in IST than in UTC
    b1 = by[SCM_B1]["overwrite"]
    assert b1["at_ist"] == "Sun 02 Mar 2025 00:10 IST"
    assert b1["at_utc"] == "2025-03-01T18:40:00+00:00"
    assert b1["hours_left"] == pytest.approx(60.2, abs=0.05) and b1["verified"]
    inox = by[SCM_INOX]["overwrite"]
    assert inox["at_ist"] == "Sat 15 Feb 2025 00:10 IST" and inox["hours_left"] < 0
    assert inox["text"].startswith("PASSED 299 h (12 d 11 h) ago")
    assert "NOT VERIFIED" in inox["retention"] and "not verified" in inox["text"]
    towers = by[SCM_TOWERS]["overwrite"]
    assert towers["at_ist"] == "Mon 17 Mar 2025 00:10 IST" and towers["hours_left"] > 72
    assert "outside South City Mall's footprint" in by[SCM_TOWERS]["inside_text"]
    assert by[SCM_B1]["make"] == "Hikvision" and by[SCM_B1]["clock_offset_s"] == 47
    assert by[GOLF_GREEN]["contact_phone"] == reg.stations["golf-green"].phone
    # one recorder, its cameras; every selected camera exactly once
    cams = [c["id"] for b in blocks for c in b["cameras"]]
    assert sorted(cams) == sorted(p.camera_id for p in drill.desk.current().picks)
    assert {c["id"] for c in by[SCM_INOX]["cameras"]} == {"SCM-06", "SCM-07"}
    assert [c["id"] for c in by[SCM_TOWERS]["cameras"]] == ["SCM-12"]


def test_reasons_are_the_walls_own_chips(reg, drill, tmp_path):
    """The chip and rank of every camera on the sheet are what the wall's desk shows."""
    sheet = export(reg, drill, tmp_path / "out", window_to=WINDOW_TO).sheet
    on_sheet = {c["id"]: c for b in sheet["recorders"] for c in b["cameras"]}
    picks = drill.desk.current().picks
    assert picks == select(reg, drill.desk.current().incident)
    for rank, pick in enumerate(picks, start=1):
        row = on_sheet[pick.camera_id]
        assert row["chip"] == drill.desk.chip(pick.camera_id) != ""
        assert (row["rank"], row["reason"], row["distance_m"]) == (rank, pick.reason,
                                                                    pick.distance_m)
    assert on_sheet["SCM-02"]["chip"].startswith("covers · ")
    assert on_sheet["KP-JDV-0033"]["chip"] == drill.desk.chip("KP-JDV-0033")


def test_cameras_viewed_earlier_are_kept_and_the_timeline_pairs_views(reg, drill, tmp_path):
    drill.cmds.run("change_radius", 1)  # 500 m
    drill.cmds.run("change_radius", 1)  # 1000 m: more cameras on the wall
    wider = {p.camera_id for p in drill.desk.current().picks}
    drill.cmds.run("change_radius", -1)
    drill.cmds.run("change_radius", -1)  # back to 250 m: those leave the wall
    narrow = {p.camera_id for p in drill.desk.current().picks}
    dropped = wider - narrow
    assert dropped and dropped <= {r.payload["camera"] for r in audit.rows(
        drill.log.path, DRILL_ID) if r.event == "view_start"}
    drill.cmds.run("clear_incident", confirmed=True)
    sheet = export(reg, drill, tmp_path / "out").sheet
    assert sheet["incident"]["source"].startswith("rebuilt from the audit log")
    rows = audit.rows(drill.log.path, DRILL_ID)
    clear = next(r for r in rows if r.event == "clear")
    assert sheet["incident"]["cleared_at_utc"] == datetime.fromisoformat(clear.utc).isoformat()
    assert sheet["window"]["to_utc"] == sheet["incident"]["cleared_at_utc"]
    on_sheet = {c["id"]: c for b in sheet["recorders"] for c in b["cameras"]}
    shown_on_wall = {r.payload["camera"] for r in rows if r.event == "view_start"}
    for cid in dropped & shown_on_wall:
        assert on_sheet[cid]["selected"] is False and on_sheet[cid]["rank"] is None
        assert "not in the last selection" in on_sheet[cid]["chip"]
    t = sheet["timeline"]
    assert [e["event"] for e in t["events"]] == ["raise", "acknowledge", "note"] + \
        ["radius"] * 4 + ["clear"]
    assert t["events"][2]["details"] == "smoke seen on 4F near the food court"
    assert [e["details"] for e in t["events"][3:7]] == [
        "250 m -> 500 m", "500 m -> 1000 m", "1000 m -> 500 m", "500 m -> 250 m"]
    # every view: from its view_start row to its view_stop row
    starts = [r for r in rows if r.event == "view_start"]
    assert len(t["views"]) == len(starts)
    for v, start in zip(t["views"], starts):
        stop = next(r for r in rows if r.event == "view_stop" and r.seq > start.seq
                    and r.payload["camera"] == v["camera"])
        assert v["seconds"] == pytest.approx((datetime.fromisoformat(stop.utc)
                                              - datetime.fromisoformat(start.utc))
                                             .total_seconds(), abs=1e-3)
    assert sheet["audit"]["chain"] == "intact" and sheet["audit"]["head_seq"] == rows[-1].seq


def test_no_audit_log_says_so(reg, tmp_path):
    wall = Wall(reg, tmp_path / "settings", clock=lambda: T0, with_audit=False)
    wall.cmds.run("exercise_drill")
    sheet = export(reg, wall, tmp_path / "out", window_to=WINDOW_TO).sheet
    wall.close()
    assert not sheet["timeline"]["available"]
    assert "there is no audit log at" in sheet["timeline"]["note"]
    assert sheet["incident"]["operator"].startswith("not recorded")
    assert sheet["recorders"][0]["key"] == SCM_INOX


# -- media: snapshots, recordings and the manifest ---------------------------------------------
def test_snapshots_and_recordings_are_copied_hashed_and_checked(reg, drill, tmp_path):
    snaps, recs = media(tmp_path)
    out = tmp_path / "out"
    bundle = export(reg, drill, out, snapshot_dir=snaps, recordings_dir=recs,
                    window_to=WINDOW_TO)
    sheet = bundle.sheet
    assert [s["bundle_path"] for s in sheet["snapshots"]] == [
        "snapshots/SCM-04_20250131-012005.png"]  # the one before the window, the other camera: no
    png = out / "snapshots" / "SCM-04_20250131-012005.png"
    assert sheet["snapshots"][0]["sha256"] == hashlib.sha256(png.read_bytes()).hexdigest()
    status = {r["camera"]: r["status"] for r in sheet["recordings"]}
    assert status["SCM-02"] == "ok" and status["SCM-04"].startswith("MISMATCH")
    assert any("SCM-04" in p and "does not match" in p for p in bundle.problems)
    # the manifest lists every evidence file with its SHA-256; its hash is on the sheet
    manifest = (out / "manifest.sha256").read_text()
    assert hashlib.sha256(manifest.encode()).hexdigest() == bundle.manifest_sha256
    paths = [line.split("  ", 1)[1] for line in manifest.splitlines()]
    assert paths == sorted(paths) and len(paths) == 5
    assert "recordings/recordings.json" in paths
    for tool_file in ("manifest.sha256", "SHA256SUMS"):
        res = subprocess.run(["sha256sum", "-c", "--strict", tool_file], cwd=out,
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
    assert bundle.manifest_sha256 in (out / "sheet.html").read_text()
    handover = json.loads((out / "handover.json").read_text())
    assert handover["manifest"]["sha256"] == bundle.manifest_sha256
    assert handover["format"] == "nazar-evidence/1"
    csv_lines = (out / "recorders.csv").read_text().splitlines()
    assert csv_lines[0].startswith("order,inside_site,overwrite_at_ist")
    assert len(csv_lines) == 1 + len(sheet["recorders"])
    assert "scm-inox-dvr-4f" in csv_lines[1] and "Sat 15 Feb 2025 00:10 IST" in csv_lines[1]


def test_recordings_listed_badly_are_flagged_not_followed(reg, drill, tmp_path):
    _, recs = media(tmp_path)
    manifest = recs / DRILL_ID / "recordings.json"
    data = json.loads(manifest.read_text())
    data["files"] += [{"camera": "SCM-09", "path": "SCM-09/gone.mkv", "sha256": "0" * 64},
                      {"camera": "SCM-01", "path": "../../../etc/passwd", "sha256": "0" * 64},
                      {"camera": "SCM-01", "path": "/etc/passwd", "sha256": "0" * 64}]
    data["files"][0]["closed_cleanly"] = False
    manifest.write_text(json.dumps(data))
    bundle = export(reg, drill, tmp_path / "out", recordings_dir=recs, window_to=WINDOW_TO,
                    copy_recordings=False)
    got = {r["path"]: r for r in bundle.sheet["recordings"]}
    assert got["SCM-09/gone.mkv"]["status"].startswith("MISSING")
    assert "not closed cleanly" in got[data["files"][0]["path"]]["status"]
    assert not any("passwd" in p for p in got)
    assert sum("no usable relative path" in p for p in bundle.problems) == 2
    # referenced, not copied: the manifest names them where they are
    assert not (bundle.path / "recordings" / "SCM-02").exists()
    manifest_text = (bundle.path / "manifest.sha256").read_text()
    assert str((recs / DRILL_ID / "SCM-02").resolve()) in manifest_text
    res = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=bundle.path,
                         capture_output=True, text=True)
    assert "SCM-04-0001-20250130T194000Z.mkv: OK" in res.stdout  # the file is what it is


def test_no_recordings_says_so(reg, drill, tmp_path):
    sheet = export(reg, drill, tmp_path / "out", recordings_dir=tmp_path / "none",
                   window_to=WINDOW_TO).sheet
    assert sheet["recordings"] == [] and sheet["recordings_note"].startswith("no recordings")
    assert "no recordings" in evidence.render_text(sheet)


def test_the_bundle_never_mixes_into_an_existing_directory(reg, drill, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "other.txt").write_text("someone else's")
    with pytest.raises(evidence.EvidenceError, match="already exists and is not empty"):
        export(reg, drill, out)
    with pytest.raises(evidence.EvidenceError, match="ends .* before it starts"):
        export(reg, drill, tmp_path / "new", window_from=T0, window_to=T0 - timedelta(hours=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "settings"]  # no partial dir
    with pytest.raises(evidence.EvidenceError, match="no incident INC-NOPE"):
        evidence.export_bundle("INC-NOPE", tmp_path / "x", registry=reg,
                               settings_dir=drill.settings_dir)


def test_exporting_never_writes_to_the_walls_files(reg, drill, tmp_path):
    # SQLite's -shm file is a shared-memory index that every reader updates: not content
    files = sorted(p for p in drill.settings_dir.iterdir()
                   if p.is_file() and not p.name.endswith("-shm"))

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    before = digest()
    export(reg, drill, tmp_path / "out", window_to=WINDOW_TO)
    assert digest() == before


# -- the PDF, printed by Qt, read back with poppler ---------------------------------------------
def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install Debian's poppler-utils (./nazar test does)"
    return path


def pdf_text(pdf: Path) -> str:
    """The PDF's text without white space (table cells wrap lines anywhere) and with
    ligatures undone (fi, fl)."""
    res = subprocess.run([poppler("pdftotext"), str(pdf), "-"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return squeeze(res.stdout)


def squeeze(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def rendered_page(pdf: Path, tmp_path: Path, page: int = 1) -> np.ndarray:
    stem = tmp_path / f"page{page}"
    res = subprocess.run([poppler("pdftoppm"), "-r", "50", "-png", "-f", str(page), "-l",
                          str(page), "-singlefile", str(pdf), str(stem)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    img = cv2.imread(str(stem) + ".png")
    assert img is not None and img.shape[0] > 400
    return img


def test_the_pdf_is_real_and_reads_back(reg, drill, tmp_path):
    bundle = export(reg, drill, tmp_path / "out", window_to=WINDOW_TO,
                    pdf_writer=evidence.pdf_in_subprocess)
    pdf = bundle.path / "sheet.pdf"
    assert bundle.files["sheet.pdf"] == pdf and pdf.read_bytes()[:5] == b"%PDF-"
    text = pdf_text(pdf)
    for words in (DRILL_ID, "EXERCISE", "Evidence sheet", "Sun 02 Mar 2025 00:10 IST",
                  "Sat 15 Feb 2025 00:10 IST", "PASSED", "INSIDE the incident site",
                  "DS-9664NI-M8",
                  "CP-UVR-1601E1-HC", "7G0A2B3PAZ51C88", "Seizure memo (panchnama) number",
                  "Bharatiya Sakshya Adhiniyam", "site · L4", "near · faces away · 142 m",
                  "smoke seen on 4F near the food court", "Golf Green PS"):
        assert squeeze(words) in text, f"{words!r} not in the PDF's text"
    assert text.index(squeeze("4F multiplex DVR room")) < text.index(squeeze("Tower 2 ground"))
    page = rendered_page(pdf, tmp_path)
    assert (page < 128).mean() > 0.01  # text and tables, not a blank page
    red = (page[:, :, 2] > 150) & (page[:, :, 1] < 60) & (page[:, :, 0] < 60)
    assert red.sum() > 50  # the red overwrite times and the PASSED flag
    res = subprocess.run([poppler("pdfinfo"), str(pdf)], capture_output=True, text=True)
    pages = int(next(line for line in res.stdout.splitlines()
                     if line.startswith("Pages:")).split()[1])
    assert pages >= 4  # the summary, then one page (at least) per recorder


def test_registry_text_is_escaped_never_markup(tmp_path):
    hostile = "<script>alert('x')</script> Mall"
    site = f"""\
  - id: evil-mall
    name: "{hostile}"
    kind: mall
    station: jadavpur
    owner: "=HYPERLINK(\\"http://x\\") <b>Owner</b> & Co"
    contact: {{name: "<img src=x onerror=alert(1)>", phone: "+91 98300 00000"}}
    address: 1 <i>Road</i>
    location: {{lat: 22.5014, lon: 88.3616}}
    recorder: {{room: "<script>B1</script>", retention_days: 30, make: "<u>Hik</u>"}}
"""
    cam = """\
  - id: EVIL-1
    name: "<iframe src=x></iframe> atrium"
    ownership: private
    site: evil-mall
    location: {lat: 22.5014, lon: 88.3616}
    streams: {main: "demo://atrium"}
"""
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(cam, sites=site), encoding="utf-8")
    reg = load_registry(path)
    assert reg.problems == [], [str(p) for p in reg.problems]
    wall = Wall(reg, tmp_path / "settings", clock=lambda: T0)
    inc = wall.cmds.run("raise_incident", 22.5014, 88.3616, site_id="evil-mall").value
    bundle = evidence.export_bundle(inc, tmp_path / "out", registry=reg,
                                    settings_dir=wall.settings_dir, now=NOW,
                                    pdf_writer=evidence.pdf_in_subprocess)
    wall.close()
    page = (bundle.path / "sheet.html").read_text(encoding="utf-8")
    for tag in ("<script", "<img", "<iframe", "<b>Owner", "<u>Hik", "<i>Road"):
        assert tag not in page, f"{tag} reached the HTML as markup"
    for text in ("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Mall",
                 "&lt;b&gt;Owner&lt;/b&gt; &amp; Co", "&lt;u&gt;Hik&lt;/u&gt;",
                 "&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;B1&lt;/script&gt;"):
        assert text in page
    text = pdf_text(bundle.path / "sheet.pdf")
    for shown in (hostile, "<img src=x onerror=alert(1)>", "<iframe src=x></iframe> atrium",
                  "<b>Owner</b> & Co", "<script>B1</script>"):
        assert squeeze(shown) in text, f"{shown!r} is not shown as text in the PDF"
    csv_text = (bundle.path / "recorders.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in csv_text and ",=HYPERLINK" not in csv_text


# -- ./nazar incident export, end to end ------------------------------------------------------
def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "app.client", "incident", "export", *args],
                          capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)


def test_cli_export_of_an_open_then_cleared_incident(reg, tmp_path):
    """Raised through the real AlarmDesk and audit log (real clock), with a real snapshot;
    exported by `python -m app.client incident export` (what ./nazar runs) while open and
    after the clear."""
    wall = Wall(reg, tmp_path / "settings")
    inc = wall.cmds.run("raise_incident", 22.5014, 88.3616, kind="fire", priority=4,
                        site_id="south-city-mall").value
    wall.cmds.run("acknowledge")
    snaps = tmp_path / "snaps"
    SnapshotWriter(snaps).save(reg.cameras["SCM-02"], np.full((72, 128, 3), 90, np.uint8))
    sd = str(wall.settings_dir)
    # where the wall records with --settings-dir (main.py): <settings>/recordings/<incident>
    seg = wall.settings_dir / "recordings" / inc / "SCM-02" / "SCM-02-0001.mkv"
    seg.parent.mkdir(parents=True)
    seg.write_bytes(b"a closed segment")
    (seg.parents[1] / "recordings.json").write_text(json.dumps({"incident": inc, "files": [{
        "camera": "SCM-02", "path": "SCM-02/SCM-02-0001.mkv", "bytes": 16,
        "sha256": hashlib.sha256(b"a closed segment").hexdigest(), "closed_cleanly": True,
        "start_utc": datetime.now(timezone.utc).isoformat(),
        "end_utc": datetime.now(timezone.utc).isoformat()}]}))
    open_out = tmp_path / "open"
    res = run_cli(inc, "--settings-dir", sd, "--out", str(open_out), "--snapshot-dir",
                  str(snaps), "--config", str(DEMO_REGISTRY), home=tmp_path / "home")
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"Evidence bundle of {inc}: {open_out}" in res.stdout
    assert "INSIDE THE SITE" in res.stdout and "manifest SHA-256" in res.stdout
    assert sorted(p.name for p in open_out.iterdir()) == [
        "SHA256SUMS", "handover.json", "manifest.sha256", "recorders.csv", "recordings",
        "sheet.html", "sheet.pdf", "snapshots"]
    assert (open_out / "recordings" / "SCM-02" / "SCM-02-0001.mkv").read_bytes() == \
        b"a closed segment"
    check = subprocess.run(["sha256sum", "-c", "--strict", "manifest.sha256"], cwd=open_out,
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.count(": OK") == 4, check.stdout
    sheet = json.loads((open_out / "handover.json").read_text())
    assert sheet["incident"]["id"] == inc and sheet["incident"]["cleared_at_utc"] is None
    assert sheet["incident"]["source"].startswith("open incident kept in the wall's settings")
    assert [s["camera"] for s in sheet["snapshots"]] == ["SCM-02"]
    assert [e["event"] for e in sheet["timeline"]["events"]] == ["raise", "acknowledge"]
    assert [(r["camera"], r["status"]) for r in sheet["recordings"]] == [("SCM-02", "ok")]
    assert inc in pdf_text(open_out / "sheet.pdf")

    wall.cmds.run("clear_incident", confirmed=True)
    wall.close()
    cleared_out = tmp_path / "cleared"
    res = run_cli(inc, "--settings-dir", sd, "--out", str(cleared_out), "--no-pdf",
                  "--snapshot-dir", str(snaps), "--json", home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    sheet = json.loads(res.stdout)
    assert sheet["incident"]["source"].startswith("rebuilt from the audit log")
    assert sheet["incident"]["cleared_at_utc"] is not None
    assert [e["event"] for e in sheet["timeline"]["events"]] == ["raise", "acknowledge",
                                                                 "clear"]
    assert all(v["stop_utc"] for v in sheet["timeline"]["views"])
    assert not (cleared_out / "sheet.pdf").exists()

    res = run_cli("INC-NOPE", "--settings-dir", sd, "--out", str(tmp_path / "x"),
                  home=tmp_path / "home")
    assert res.returncode == 1 and "no incident INC-NOPE" in res.stderr
    res = run_cli(inc, "--settings-dir", sd, "--from", "yesterday", home=tmp_path / "home")
    assert res.returncode == 2 and "--from/--to" in res.stderr


def test_window_times_are_ist_unless_a_zone_is_given():
    assert evidence.parse_when("2025-01-31T00:10") == datetime(2025, 1, 30, 18, 40,
                                                               tzinfo=timezone.utc)
    assert evidence.parse_when("2025-01-30T18:40Z") == datetime(2025, 1, 30, 18, 40,
                                                                tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="not a date and time"):
        evidence.parse_when("2025-01-31")
    assert evidence.fmt_ist(datetime(2025, 3, 1, 18, 40, tzinfo=timezone.utc)) == \
        "Sun 02 Mar 2025 00:10 IST"


def test_presumed_inside_no_recorder_and_no_site(tmp_path):
    """A site's recorder with no location is presumed inside (the safe guess); a camera with
    no recorder is its own block, "unknown", last; a point at no site flags nothing."""
    police = """\
  - id: KP-1
    name: Prince Anwar Shah Rd junction
    ownership: police
    station: jadavpur
    location: {lat: 22.5020, lon: 88.3620}
    streams: {main: "demo://junction"}
  - id: SCM-01
    name: Atrium
    ownership: private
    site: south-city-mall
    location: {lat: 22.5014, lon: 88.3616}
    streams: {main: "demo://atrium"}
"""
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(police), encoding="utf-8")
    reg = load_registry(path)
    assert reg.problems == []
    wall = Wall(reg, tmp_path / "settings", clock=lambda: T0)
    at_site = wall.cmds.run("raise_incident", 22.5014, 88.3616, site_id="south-city-mall").value
    sheet = evidence.export_bundle(at_site, tmp_path / "a", registry=reg,
                                   settings_dir=wall.settings_dir, now=NOW,
                                   pdf_writer=None).sheet
    blocks = sheet["recorders"]
    assert [b["inside_site"] for b in blocks] == ["presumed", "n/a"]
    assert "presumed INSIDE the incident site (no recorder location" in blocks[0]["inside_text"]
    assert blocks[1]["overwrite"]["status"] == "unknown" and blocks[1]["room"] is None
    assert [c["id"] for c in blocks[1]["cameras"]] == ["KP-1"]
    assert "UNKNOWN" in evidence.render_text(sheet)
    wall.cmds.run("clear_incident", confirmed=True)
    at_point = wall.cmds.run("raise_incident", 22.5030, 88.3640, radius_m=1000).value
    sheet = evidence.export_bundle(at_point, tmp_path / "b", registry=reg,
                                   settings_dir=wall.settings_dir, now=NOW,
                                   pdf_writer=None).sheet
    wall.close()
    assert sheet["incident"]["site"] is None
    assert sheet["incident"]["station"]["basis"].startswith("the nearest police station")
    assert {b["inside_site"] for b in sheet["recorders"]} == {"n/a"}


def test_ctrl_alt_e_on_the_wall_writes_the_bundle_of_the_incident_shown(qtbot, tmp_path):
    """The officer's way: the drill raised on the real window, Ctrl+Alt+E, and the status
    bar says where the bundle is; the sheet in it is this incident's."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.feeds import FeedManager
    from widgets.main_window import MainWindow

    reg = load_registry(DEMO_REGISTRY)
    store = SettingsStore(tmp_path / "settings")
    log = audit.AuditLog(tmp_path / "settings" / "audit.sqlite3")
    win = MainWindow(reg, WallModel(layout=LAYOUTS["3x3"], view=[]),
                     FeedManager(opener=lambda *a: None), store=store, audit=log,
                     snapshots=SnapshotWriter(tmp_path / "pictures"))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    inc = win.commands.run("exercise_drill").value
    win.wall.setFocus()
    qtbot.keyClick(win.wall, Qt.Key.Key_E,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "written to" in win.statusBar().currentMessage()
                    or "not written" in win.statusBar().currentMessage(), timeout=60000)
    message = win.statusBar().currentMessage()
    assert f"Evidence of {inc} written to" in message, message
    out = Path(message.split(" written to ", 1)[1].split(";")[0])
    assert out.parent == tmp_path / "pictures"
    assert inc in (out / "sheet.html").read_text("utf-8")
    assert (out / "sheet.pdf").stat().st_size > 0 and (out / "manifest.sha256").is_file()
    win.close()
    store.close()
