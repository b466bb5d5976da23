"""The incident audit log: rows are durable, chained, and any tampering is found."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import audit
from app.audit import EVENTS, GENESIS_HASH, AuditError, AuditLog, rows, verify
from app.settings import SettingsStore

ROOT = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("NAZAR_AUDIT_KILLS", "50"))  # raise it for a longer run
SUBPROCESS_WAIT_S = 60  # a hung writer fails the test instead of hanging it; not a budget


def _log(path: Path, n: int = 5) -> list:
    with AuditLog(path) as log:
        return [log.append(["raise", "note", "radius", "view_start", "clear"][i % 5], "INC-7",
                           {"i": i, "text": "রাস্তা বন্ধ"}) for i in range(n)]


def _tamper(path: Path, *statements: tuple[str, tuple]) -> None:
    """What a deliberate editor does with the sqlite3 module: drop the guards, change rows."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER IF EXISTS audit_no_update")
    db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    for sql, args in statements:
        db.execute(sql, args)
    db.commit()
    db.close()


def _forge(seq: int, prev_hash: str, **fields) -> tuple:
    """A row with a correctly computed hash (the forger knows the format)."""
    values = dict(seq=seq, utc="2030-01-01T00:00:00.000000+00:00", ist_offset="+05:30",
                  os_user="mallory", host="elsewhere", event="note", incident_id="INC-7",
                  data='{"forged":true}', prev_hash=prev_hash)
    values.update(fields)
    return (*values.values(), audit.row_hash(**values))


def _file_state(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# -- writing and reading back ----------------------------------------------------------------
def test_append_returns_the_committed_row_and_reads_back(tmp_path):
    path = tmp_path / "audit.sqlite3"
    with AuditLog(path) as log:
        first = log.append("raise", "INC-1", {"camera": "KP-STH-0001", "radius_m": 500,
                                              "note": "ভিড় জমেছে"})
        second = log.append("refused", None, {"camera": "SCM-04", "reason": "incident_only"})
        third = log.append("acknowledge", "INC-1", {"operator": "SI Das"})
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert rows(path) == [first, second, third]
    assert rows(path, incident_id="INC-1") == [first, third]
    assert rows(path, incident_id="INC-2") == []
    # canonical JSON: sorted keys, no spaces, ASCII only; the dict comes back intact
    assert first.data == ('{"camera":"KP-STH-0001","note":"\\u09ad\\u09bf\\u09a1\\u09bc '
                          '\\u099c\\u09ae\\u09c7\\u099b\\u09c7","radius_m":500}')
    assert first.payload["note"] == "ভিড় জমেছে"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", first.utc)
    assert dt.datetime.fromisoformat(first.utc).utcoffset() == dt.timedelta(0)
    assert first.ist_offset == "+05:30"
    assert first.local_time.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert first.os_user and first.host and second.incident_id is None
    assert verify(path) == []


def test_the_hash_is_the_documented_serialisation(tmp_path):
    """Recomputed here from the docstring's description, not with the module's function."""
    path = tmp_path / "audit.sqlite3"
    _log(path, 3)
    for r in rows(path):
        text = (f"nazar-audit/1\nseq={r.seq}\nutc={r.utc}\nist_offset={r.ist_offset}\n"
                f"os_user={r.os_user}\nhost={r.host}\nevent={r.event}\n"
                f"incident_id={r.incident_id or ''}\ndata={r.data}\nprev_hash={r.prev_hash}\n")
        assert hashlib.sha256(text.encode()).hexdigest() == r.hash


@pytest.mark.skipif(shutil.which("sqlite3") is None or shutil.which("sha256sum") is None,
                    reason="needs the sqlite3 shell and sha256sum")
def test_the_docstrings_sqlite3_shell_recipe_recomputes_the_hash(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path, 3)
    recipe = re.search(r"^ *(sqlite3 -readonly .*?\| sha256sum)$", audit.__doc__, re.S | re.M)
    command = " ".join(line.strip() for line in recipe.group(1).splitlines())
    for r in rows(path):
        res = subprocess.run(command.replace("seq=1", f"seq={r.seq}"), shell=True, cwd=tmp_path,
                             capture_output=True, text=True, timeout=SUBPROCESS_WAIT_S)
        assert res.returncode == 0, res.stderr
        assert res.stdout.split()[0] == r.hash


def test_unknown_events_and_bad_data_are_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "audit.sqlite3"
    with AuditLog(path) as log:
        with pytest.raises(ValueError, match="unknown audit event 'explode'"):
            log.append("explode", "INC-1", {})
        with pytest.raises(ValueError, match="unknown audit event 'integrity'"):
            log.append("integrity", None, {})  # only the log itself writes these
        with pytest.raises(ValueError):
            log.append("note", "INC-1", {"x": float("nan")})
        with pytest.raises(TypeError):
            log.append("note", "INC-1", ["not", "a", "dict"])
        with pytest.raises(ValueError, match="incident_id"):
            log.append("note", "", {})
        with pytest.raises(ValueError, match="incident_id"):
            log.append("note", "INC-1\nseq=99", {})
        log.append("note", "INC-1", {"ok": True})
    assert [r.seq for r in rows(path)] == [1]
    assert {"raise", "acknowledge", "note", "radius", "clear", "view_start", "view_stop",
            "refused"} <= set(EVENTS)


def test_ist_offset_comes_from_the_time_zone_database_with_a_fixed_fallback(monkeypatch):
    # Kolkata kept war time (+06:30) in 1943: only the zone database knows that.
    wartime = dt.datetime(1943, 1, 1, tzinfo=dt.timezone.utc)
    assert audit._ist_offset(wartime) == "+06:30"
    assert audit._ist_offset(dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)) == "+05:30"
    import zoneinfo

    def no_tzdata(key):
        raise zoneinfo.ZoneInfoNotFoundError(key)
    monkeypatch.setattr(zoneinfo, "ZoneInfo", no_tzdata)
    assert audit._ist_offset(wartime) == "+05:30"


def test_the_application_cannot_update_or_delete_rows(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path, 2)
    db = sqlite3.connect(path)
    for sql in ("UPDATE audit SET data = '{}' WHERE seq = 1", "DELETE FROM audit WHERE seq = 2"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()
    assert verify(path) == []


# -- damaged and foreign files ---------------------------------------------------------------
def test_a_damaged_file_is_named_and_left_exactly_as_it_was(tmp_path):
    path = tmp_path / "audit.sqlite3"
    path.write_bytes(b"not a database at all\n" * 300)
    before = sorted(os.listdir(tmp_path)), _file_state(path)
    with pytest.raises(AuditError, match=re.escape(str(path))):
        AuditLog(path)
    assert (sorted(os.listdir(tmp_path)), _file_state(path)) == before
    problems = verify(path)
    assert len(problems) == 1 and "not a readable SQLite database" in problems[0]
    with pytest.raises(AuditError, match=re.escape(str(path))):
        rows(path)
    assert _file_state(path) == before[1]


def test_another_database_is_not_taken_over(tmp_path):
    store = SettingsStore(tmp_path)
    store.put("k", 1)
    store.close()
    path = tmp_path / "nazar.sqlite3"
    with pytest.raises(AuditError, match="not a Nazar audit log"):
        AuditLog(path)
    assert verify(path) == [f"{path} is not a Nazar audit log"]
    store = SettingsStore(tmp_path)
    assert store.get("k") == 1 and store.problem is None
    store.close()


# -- tampering -------------------------------------------------------------------------------
def test_an_intact_log_verifies_and_verifying_changes_nothing(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    before = _file_state(path)
    assert verify(path) == []
    assert rows(path)
    assert _file_state(path) == before


@pytest.mark.parametrize("column, value", [
    ("utc", "2020-01-01T00:00:00.000000+00:00"), ("ist_offset", "+00:00"),
    ("os_user", "someone-else"), ("host", "other-host"), ("event", "clear"),
    ("incident_id", "INC-8"), ("incident_id", None), ("data", '{"i":2,"text":"x"}'),
    ("prev_hash", "f" * 64), ("hash", "e" * 64)])
def test_editing_any_field_of_a_row_is_found_and_named(tmp_path, column, value):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, (f"UPDATE audit SET {column} = ? WHERE seq = 3", (value,)))
    before = _file_state(path)
    problems = verify(path)
    assert any(p.startswith("seq 3:") for p in problems), problems
    assert _file_state(path) == before


def test_editing_seq_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("UPDATE audit SET seq = 30 WHERE seq = 3", ()))
    problems = verify(path)
    assert "seq 4: expected seq 3 (seq 3 missing or renumbered)" in problems
    assert any(p.startswith("seq 30:") for p in problems), problems


def test_an_edit_with_the_rows_hash_recomputed_breaks_the_next_link(tmp_path):
    path = tmp_path / "audit.sqlite3"
    written = _log(path)
    r = written[2]
    forged = _forge(3, r.prev_hash, utc=r.utc, os_user=r.os_user, host=r.host,
                    event=r.event, data='{"i":2,"text":"nothing happened"}')
    _tamper(path, ("DELETE FROM audit WHERE seq = 3", ()),
            ("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)", forged))
    assert verify(path) == [
        "seq 4: prev_hash does not match seq 3's hash (a row was removed, inserted or changed)"]


def test_rewriting_the_last_row_with_a_valid_hash_is_found_by_the_head(tmp_path):
    path = tmp_path / "audit.sqlite3"
    written = _log(path)
    forged = _forge(5, written[3].hash)
    _tamper(path, ("DELETE FROM audit WHERE seq = 5", ()),
            ("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)", forged))
    problems = verify(path)
    assert len(problems) == 1 and problems[0].startswith("seq 5: its hash is not the one "
                                                         "recorded in the head file"), problems


def test_deleting_a_middle_row_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("DELETE FROM audit WHERE seq = 3", ()))
    assert verify(path) == [
        "seq 4: expected seq 3 (seq 3 missing or renumbered)",
        "seq 4: prev_hash does not match seq 2's hash (a row was removed, inserted or changed)"]


def test_deleting_the_first_row_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("DELETE FROM audit WHERE seq = 1", ()))
    problems = verify(path)
    assert "seq 2: expected seq 1 (seq 1 missing or renumbered)" in problems
    assert any("first row does not start the chain" in p for p in problems), problems


def test_deleting_the_last_rows_is_found_by_the_head_file_and_only_by_it(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("DELETE FROM audit WHERE seq >= 4", ()))
    problems = verify(path)
    assert len(problems) == 1 and "rows 4..5 are missing" in problems[0], problems
    # The documented limit: without the head file a shortened chain is still a valid chain.
    audit.head_path(path).unlink()
    assert verify(path) == []


def test_inserting_a_forged_row_in_the_middle_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    written = _log(path)
    forged = _forge(3, written[1].hash)  # links correctly to seq 2
    _tamper(path, ("UPDATE audit SET seq = seq + 100 WHERE seq >= 3", ()),
            ("UPDATE audit SET seq = seq - 99 WHERE seq >= 100", ()),
            ("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)", forged))
    problems = verify(path)
    assert any(p.startswith("seq 4: content does not match its hash") for p in problems)
    assert any(p.startswith("seq 4: links to seq 2, not to seq 3") for p in problems), problems


def test_appending_a_forged_row_without_the_right_hash_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    written = _log(path)
    forged = _forge(6, written[-1].hash)[:-1] + ("0" * 64,)
    _tamper(path, ("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?,?)", forged))
    assert verify(path) == ["seq 6: content does not match its hash (edited)"]


def test_reordering_rows_is_found(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("UPDATE audit SET seq = 102 WHERE seq = 2", ()),
            ("UPDATE audit SET seq = 2 WHERE seq = 4", ()),
            ("UPDATE audit SET seq = 4 WHERE seq = 102", ()))
    problems = verify(path)
    assert any("rows out of order" in p and p.startswith("seq 2:") for p in problems), problems
    assert any(p.startswith("seq 4: content does not match") for p in problems), problems


def test_opening_a_log_that_lost_its_last_rows_records_the_loss(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    _tamper(path, ("DELETE FROM audit WHERE seq = 5", ()))
    with AuditLog(path) as log:
        assert "rows 5..5 are missing" in log.problem
        log.append("note", "INC-7", {"after": "the loss"})
    after = rows(path)
    assert [r.event for r in after[-2:]] == ["integrity", "note"]
    assert after[-2].payload["head"]["seq"] == 5
    problems = verify(path)  # the loss never verifies clean again
    assert len(problems) == 1 and problems[0].startswith("seq 5: Nazar recorded on opening")
    with AuditLog(path) as log:  # and it is recorded once, not at every start
        assert log.problem is None
    assert len(rows(path)) == 6


# -- command line ----------------------------------------------------------------------------
def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.audit", *args], cwd=ROOT, text=True,
                          capture_output=True, env=env, timeout=SUBPROCESS_WAIT_S)


def test_verify_cli_exit_codes_and_messages(tmp_path):
    path = tmp_path / "audit.sqlite3"
    _log(path)
    ok = _cli("verify", str(path))
    assert (ok.returncode, ok.stdout) == (0, "OK: 5 rows, chain intact\n")
    _tamper(path, ("UPDATE audit SET data = '{}' WHERE seq = 2", ()))
    bad = _cli("verify", str(path))
    assert bad.returncode == 1
    assert "seq 2: content does not match its hash (edited)" in bad.stdout.splitlines()
    missing = _cli("verify", str(tmp_path / "nope.sqlite3"))
    assert missing.returncode == 2
    assert f"no audit log at {tmp_path / 'nope.sqlite3'}" in missing.stderr
    path.write_bytes(b"\x00garbage" * 100)
    damaged = _cli("verify", str(path))
    assert damaged.returncode == 1 and "not a readable SQLite database" in damaged.stdout


def test_verify_cli_defaults_to_the_settings_directory(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    default = tmp_path / "nazar" / "audit.sqlite3"
    missing = _cli("verify", env=env)
    assert missing.returncode == 2 and f"no audit log at {default}" in missing.stderr
    _log(default, 2)
    ok = _cli("verify", env=env)
    assert (ok.returncode, ok.stdout) == (0, "OK: 2 rows, chain intact\n")
    audit.head_path(default).unlink()
    noted = _cli("verify", env=env)
    assert noted.returncode == 0 and "no head file" in noted.stdout


def test_nazar_script_runs_the_verifier(tmp_path):
    venv = Path(sys.prefix)
    if not (venv / ".nazar-installed").exists():
        pytest.skip("not running in a venv made by ./nazar setup")
    path = tmp_path / "audit.sqlite3"
    _log(path, 3)
    env = {**os.environ, "NAZAR_VENV": str(venv)}
    res = subprocess.run([str(ROOT / "nazar"), "audit", "verify", str(path)], text=True,
                         capture_output=True, env=env, timeout=SUBPROCESS_WAIT_S)
    assert (res.returncode, res.stdout) == (0, "OK: 3 rows, chain intact\n"), res.stderr
    res = subprocess.run([str(ROOT / "nazar"), "audit", "verify", str(tmp_path / "x")],
                         text=True, capture_output=True, env=env, timeout=SUBPROCESS_WAIT_S)
    assert res.returncode == 2


# -- concurrency and crashes -----------------------------------------------------------------
@pytest.mark.parametrize("shared", [True, False], ids=["one-log", "two-logs"])
def test_two_threads_appending_keep_one_valid_chain(tmp_path, shared):
    path = tmp_path / "audit.sqlite3"
    logs = [AuditLog(path)] * 2 if shared else [AuditLog(path), AuditLog(path)]
    start = threading.Barrier(2)
    got: dict[int, list[int]] = {0: [], 1: []}
    errors = []

    def work(t: int) -> None:
        try:
            start.wait()
            for i in range(150):
                got[t].append(logs[t].append("view_start", "INC-1", {"t": t, "i": i}).seq)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(t,)) for t in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for log in set(logs):
        log.close()
    assert errors == []
    written = rows(path)
    assert [r.seq for r in written] == list(range(1, 301))
    assert sorted(got[0] + got[1]) == list(range(1, 301))
    for t in (0, 1):
        assert [r.payload["i"] for r in written if r.payload["t"] == t] == list(range(150))
        assert all(written[s - 1].payload["t"] == t for s in got[t])
    assert verify(path) == []


WRITER = r"""
import sys
from app.audit import AuditLog
path, run, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log = AuditLog(path)
events = ["raise", "acknowledge", "note", "radius", "view_start", "view_stop", "clear", "refused"]
i = 0
while count < 0 or i < count:
    event = events[i % len(events)]
    row = log.append(event, None if event == "refused" else f"INC-{run}",
                     {"run": run, "i": i, "note": "ঘটনা"})
    sys.stdout.write(f"{row.seq} {row.data}\n")
    sys.stdout.flush()
    i += 1
"""


def _writer(path: Path, run: int, count: int = -1) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(run), str(count)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _reported(output: bytes) -> dict[int, str]:
    """seq -> data of every complete line (a line cut by the kill is not a report)."""
    out = {}
    for line in output.split(b"\n")[:-1]:
        seq, data = line.decode().split(" ", 1)
        out[int(seq)] = data
    return out


def test_two_processes_appending_keep_one_valid_chain(tmp_path):
    path = tmp_path / "audit.sqlite3"
    procs = [_writer(path, run, 100) for run in (1, 2)]
    reported = {}
    for p in procs:
        out, err = p.communicate(timeout=SUBPROCESS_WAIT_S)
        assert p.returncode == 0, err.decode()
        reported.update(_reported(out))
    written = rows(path)
    assert [r.seq for r in written] == list(range(1, 201)) and sorted(reported) == list(
        range(1, 201))
    assert all(written[s - 1].data == d for s, d in reported.items())
    for run in (1, 2):
        assert [r.payload["i"] for r in written if r.payload["run"] == run] == list(range(100))
    assert verify(path) == []


def _wait_for_line(proc: subprocess.Popen, buf: bytearray) -> None:
    """Read the writer's stdout until it has printed one complete line."""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + SUBPROCESS_WAIT_S
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            proc.kill()
            pytest.fail("the writer printed nothing: " + proc.stderr.read().decode())
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                proc.wait()
                pytest.fail(f"the writer exited ({proc.returncode}): "
                            + proc.stderr.read().decode())
            buf += chunk


def test_kill_9_at_random_moments_loses_nothing_reported_and_keeps_the_chain(tmp_path):
    """KILLS writers killed with SIGKILL at random moments while appending, one after another.

    Every seq a writer printed (after `append` returned) must be in the log with its data,
    the seqs are 1..N without gaps, and the chain verifies. A few extra kills land before the
    first line, i.e. while the log is being opened (the very first one while it is created).
    """
    path = tmp_path / "audit.sqlite3"
    rng = random.Random(20240611)
    reported: dict[int, str] = {}
    runs_waited = 0
    run = 0
    while runs_waited < KILLS:
        early = run == 0 or rng.random() < 0.1
        proc = _writer(path, run)
        buf = bytearray()
        if not early:
            _wait_for_line(proc, buf)
            runs_waited += 1
        time.sleep(rng.uniform(0, 0.05))  # the random moment of the kill
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=SUBPROCESS_WAIT_S)
        assert proc.returncode == -signal.SIGKILL, err.decode()
        assert b"Traceback" not in err, err.decode()
        this_run = _reported(bytes(buf) + out)
        assert not set(this_run) & set(reported), "a seq was handed out twice"
        reported.update(this_run)
        run += 1

    assert verify(path) == []
    written = rows(path)
    assert len(reported) >= KILLS
    assert [r.seq for r in written] == list(range(1, len(written) + 1))
    for seq, data in reported.items():
        assert written[seq - 1].data == data, f"seq {seq}"
    # Per run: the rows are 0..k in order; all were reported but at most the last one (killed
    # after its commit, before its print).
    by_run: dict[int, list[int]] = {}
    for r in written:
        by_run.setdefault(r.payload["run"], []).append(r.payload["i"])
    for r_id, items in by_run.items():
        assert items == list(range(len(items))), f"run {r_id}"
        n_reported = sum(1 for d in reported.values() if json.loads(d)["run"] == r_id)
        assert n_reported in (len(items), len(items) - 1), f"run {r_id}"
