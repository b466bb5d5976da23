"""[dispatch]: the dispatch API of a real running wall (the main window, its commands, its
alarm desk, uvicorn on a real port), over real HTTP: every endpoint and every error case."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import audit as audit_mod
from app.api import ApiLimits, TokenFileError, load_token
from app.cap import parse_cap
from app.incidents import reason_chip
from widgets.api_host import start_api

ROOT = Path(__file__).resolve().parents[1]
MALL = (22.5014, 88.3616)


def audit_rows(wall):
    return audit_mod.rows(wall.audit.path)


# -- the token ------------------------------------------------------------------------------
def test_the_token_file_must_be_private(tmp_path):
    path = tmp_path / "settings" / "api-token"
    token = load_token(path)  # missing: created, mode 600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 32
    assert load_token(path) == token
    for mode in (0o640, 0o604, 0o644, 0o666):
        os.chmod(path, mode)
        with pytest.raises(TokenFileError, match=f"{path}.*mode {mode:03o}.*chmod 600"):
            load_token(path)
    os.chmod(path, 0o600)
    path.write_text("short\n")
    with pytest.raises(TokenFileError, match="16 characters"):
        load_token(path)
    with pytest.raises(TokenFileError, match="no such token file"):
        load_token(tmp_path / "nope", create=False)


def test_a_readable_token_file_means_no_api_at_all(qtbot, api_wall, tmp_path):
    wall = api_wall()
    bad = tmp_path / "shared-token"
    bad.write_text("x" * 40 + "\n")
    os.chmod(bad, 0o644)
    with pytest.raises(TokenFileError, match="mode 644"):
        start_api(wall.win, bind=("127.0.0.1", 0), token_file=bad, drop_dir=None,
                  settings_dir=wall.settings)


def test_without_the_token_nothing_is_served(api_wall):
    wall = api_wall()
    c = wall.client
    doc = c.get("/openapi.json").json
    paths = [(m.upper(), p.replace("{incident_id}", "INC-1")) for p, item in
             doc["paths"].items() for m in item]
    assert len(paths) >= 11
    for method, path in paths + [("GET", "/openapi.json"), ("GET", "/metrics"),
                                 ("GET", "/docs"), ("GET", "/nothing-here")]:
        for token in (None, "wrong-" + c.token, c.token[:-1]):
            r = c(method, path, token=token)
            assert r.status == 401, (method, path, r.status, r.body[:200])
            assert r.headers.get("www-authenticate") == "Bearer"
            assert "token" in r.json["error"]
    assert not wall.win.alarm.open  # nothing was raised


# -- reading -----------------------------------------------------------------------------------
def test_state_and_cameras(api_wall):
    wall = api_wall()
    st = wall.client.get("/api/state")
    assert st.status == 200
    state = st.json
    model = wall.win.model
    assert state["layout"] == model.layout.name == "3x3"
    assert [t["camera"] for t in state["tiles"]] == model.visible()
    feeds = {f.camera_id: f for f in wall.win.feeds.feeds()}
    for t in state["tiles"]:  # never_opens: connecting, then reconnecting, offline
        assert t["state"] == (feeds[t["camera"]].reading().state.value if t["camera"]
                              else "empty")
        assert t["state"] in ("connecting", "reconnecting", "offline", "empty")
        assert t["fps"] == 0 and t["last_frame_age_s"] is None
    assert all(set(t) == {"tile", "camera", "state", "fps", "last_frame_age_s", "path",
                          "keyframe_s"} for t in state["tiles"])
    assert {t["path"] for t in state["tiles"]} == {""}  # no relay hub in the demo
    assert state["incidents"] == []
    cams = wall.client.get("/api/cameras").json
    assert len(cams) == len(wall.win.registry.cameras)
    on_wall = {c for c in model.visible() if c}
    by_id = {c["id"]: c for c in cams}
    assert all(by_id[c]["state"] in ("connecting", "reconnecting", "offline") for c in on_wall)
    assert {c["state"] for i, c in by_id.items() if i not in on_wall} == {"idle"}
    assert {c["ownership"] for c in cams} == {"police", "private"}


# -- incidents -----------------------------------------------------------------------------
def test_raise_at_a_site_shows_its_cameras_with_the_walls_reasons(api_wall):
    wall = api_wall()
    before = wall.win.commands.wall_state()
    r = wall.client.post("/api/incidents", {"site": "South City Mall", "type": "fire",
                                            "priority": 4, "note": "smoke on L3"})
    assert r.status == 201, r.body
    got = r.json
    desk = wall.win.alarm
    cur = desk.current()
    assert cur is not None and got["id"] == cur.incident.id and got["on_wall"]
    assert cur.incident.site_id == "south-city-mall" and cur.incident.priority == 4
    # Rank order and reasons exactly as the wall shows them (tile chips).
    assert [p["camera"] for p in got["selected"]] == [p.camera_id for p in cur.picks]
    for p, pick in zip(got["selected"], cur.picks):
        assert p["reason"] == pick.reason and p["distance_m"] == pick.distance_m
        assert p["chip"] == reason_chip(pick, wall.win.registry.cameras[pick.camera_id])
        assert p["chip"] == desk.chip(pick.camera_id)
    shown = {c for c in wall.win.model.view if c}
    assert {p.camera_id for p in cur.picks} <= shown or len(shown) >= 9
    assert {p["camera"] for p in got["selected"]} & shown
    # Both police and private cameras are selected for the mall.
    owners = {wall.win.registry.cameras[p["camera"]].ownership for p in got["selected"]}
    assert owners == {"police", "private"}
    # The audit log names the API caller as the operator.
    rows = [r for r in audit_rows(wall) if r.event == "raise"]
    assert rows[-1].payload["operator"] == "api:test@127.0.0.1"
    # ack, note, clear: the wall goes back to what it showed before.
    iid = got["id"]
    a = wall.client.post(f"/api/incidents/{iid}/ack")
    assert a.status == 200 and a.json["acknowledged"] and cur.acknowledged
    n = wall.client.post(f"/api/incidents/{iid}/note", {"text": "fire brigade on site"})
    assert n.status == 200 and n.json["notes"][-1]["text"] == "fire brigade on site"
    one = wall.client.get(f"/api/incidents/{iid}").json
    assert one["acknowledged"] and len(one["selected"]) == len(got["selected"])
    lst = wall.client.get("/api/incidents").json
    assert [i["id"] for i in lst] == [iid]
    c = wall.client.post(f"/api/incidents/{iid}/clear")
    assert c.status == 200 and c.json["cleared"]
    assert not desk.open and wall.win.commands.wall_state() == before
    events = [(r.event, r.payload.get("operator")) for r in audit_rows(wall)
              if r.event in ("raise", "acknowledge", "note", "clear")]
    assert events == [(e, "api:test@127.0.0.1") for e in
                      ("raise", "acknowledge", "note", "clear")]


def test_raise_at_a_point_with_uncertainty_and_a_second_incident_is_listed(api_wall):
    wall = api_wall()
    r = wall.client.post("/api/incidents", {"lat": MALL[0], "lon": MALL[1], "radius_m": 100,
                                            "uncertainty_m": 300, "priority": 5})
    assert r.status == 201
    first = r.json["id"]
    inc = wall.win.alarm.get(first).incident
    assert (inc.lat, inc.lon, inc.radius_m, inc.uncertainty_m) == (*MALL, 100, 300)
    # A lower-priority incident elsewhere is listed; the wall keeps the first.
    r2 = wall.client.post("/api/incidents", {"site": "quest-mall", "type": "crowd",
                                             "priority": 2})
    assert r2.status == 201 and not r2.json["on_wall"]
    assert wall.win.alarm.on_wall == first
    assert len(wall.client.get("/api/state").json["incidents"]) == 2
    # Clearing the listed one leaves the wall alone.
    view = list(wall.win.model.view)
    assert wall.client.post(f"/api/incidents/{r2.json['id']}/clear").status == 200
    assert wall.win.model.view == view and wall.win.alarm.on_wall == first


def test_put_wall_sets_layout_and_cameras(api_wall):
    wall = api_wall()
    reg = wall.win.registry
    police = [c.id for c in reg.cameras.values() if c.access == "always"][:5]
    r = wall.client("PUT", "/api/wall", {"layout": "2x2", "cameras": police})
    assert r.status == 200, r.body
    assert wall.win.model.layout.name == "2x2" and wall.win.model.view[:5] == police
    assert r.json["pages"] == 2
    # Without a layout: one that fits; null leaves a tile empty.
    r = wall.client("PUT", "/api/wall", {"cameras": [police[0], None, police[1]]})
    assert r.status == 200 and wall.win.model.layout.name == "2x2"
    assert wall.win.model.view[:3] == [police[0], None, police[1]]
    # Ctrl+Z brings back what the API replaced (it is a command like any other).
    wall.win.wall.execute("undo")
    assert wall.win.model.view[:5] == police


def test_a_private_incident_only_camera_is_refused_and_recorded(api_wall):
    wall = api_wall()
    reg = wall.win.registry
    private = next(c.id for c in reg.cameras.values() if c.access == "incident_only")
    before = wall.win.commands.wall_state()
    r = wall.client("PUT", "/api/wall", {"cameras": [private]})
    assert r.status == 409 and "private camera" in r.json["error"]
    assert wall.win.commands.wall_state() == before
    refused = [r for r in audit_rows(wall) if r.event == "refused"][-1]
    assert refused.payload["camera"] == private
    assert refused.payload["operator"] == "api:test@127.0.0.1"


def chunked_post(url: str, path: str, token: str, size: int) -> tuple[int, bytes]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    chunks = (b"<" + b"x" * 9999 for _ in range(size // 10_000))
    conn.request("POST", path, body=chunks, encode_chunked=True,
                 headers={"Authorization": f"Bearer {token}",
                          "Content-Type": "application/xml"})
    resp = conn.getresponse()
    out = resp.status, resp.read()
    conn.close()
    return out


# -- errors: none of them disturbs the wall -----------------------------------------------------
def test_errors_are_clear_and_leave_the_wall_alone(api_wall):
    wall = api_wall()
    c = wall.client
    before = wall.win.commands.wall_state()
    cases = [
        ("POST", "/api/incidents", '{"site": "South City Mall",', 400, "JSON"),
        ("POST", "/api/incidents", {"site": "South City Mall", "colour": "red"}, 400,
         "colour"),
        ("POST", "/api/incidents", {"lat": "north", "lon": 88.3}, 400, "lat"),
        ("POST", "/api/incidents", {"lat": 22.5}, 400, "lat and lon together"),
        ("POST", "/api/incidents", {"type": "fire"}, 400, "or a site"),
        ("POST", "/api/incidents", {"lat": 95, "lon": 88.3}, 400, "lat"),
        ("POST", "/api/incidents", {"site": "South City Mall", "priority": 9}, 400,
         "priority"),
        ("POST", "/api/incidents", {"site": "Nowhere Mall"}, 404, "Nowhere Mall"),
        ("POST", "/api/incidents", [1, 2], 400, "body"),
        ("POST", "/api/incidents/INC-nope/ack", None, 404, "INC-nope"),
        ("POST", "/api/incidents/INC-nope/clear", None, 404, "INC-nope"),
        ("POST", "/api/incidents/INC-nope/note", {"text": "x"}, 404, "INC-nope"),
        ("POST", "/api/incidents/INC-nope/note", {"text": ""}, 400, "text"),
        ("GET", "/api/incidents/INC-nope", None, 404, "INC-nope"),
        ("GET", "/api/incidents/INC-nope/cap", None, 404, "INC-nope"),
        ("GET", "/api/incidents/bad%20id", None, 400, "incident_id"),
        ("PUT", "/api/wall", {"cameras": ["no-such-camera"]}, 404, "no-such-camera"),
        ("PUT", "/api/wall", {"cameras": [], "layout": "7x7"}, 400, "layout"),
        ("PUT", "/api/wall", {"cameras": ["x"] * 300}, 400, "cameras"),
        ("DELETE", "/api/wall", None, 405, "method"),
        ("GET", "/api/nothing", None, 404, "no such endpoint"),
        ("POST", "/api/cap", b"<alert", 400, "XML"),
    ]
    for method, path, body, code, words in cases:
        r = c(method, path, body)
        assert r.status == code, (method, path, r.status, r.body[:300])
        assert words.lower() in r.json["error"].lower(), (path, r.json)
    # Oversized bodies are refused before they are read.
    big = c.post("/api/cap", b"<" + b"x" * 300_000)
    assert big.status == 413 and "larger than" in big.json["error"]
    # ... and a chunked body (no Content-Length) is cut off once it passes the limit.
    for path in ("/api/cap", "/api/incidents"):
        fut = c.pool.submit(chunked_post, c.url, path, c.token, 300_000)
        c.qtbot.waitUntil(fut.done, timeout=30000)
        status, body = fut.result()
        assert status == 413 and "larger than" in json.loads(body)["error"], (path, body)
    assert wall.win.commands.wall_state() == before and not wall.win.alarm.open


def test_a_rate_limit_applies_per_caller(api_wall):
    wall = api_wall(limits=ApiLimits(rate=1.0, burst=5))
    codes = [wall.client.get("/api/incidents").status for _ in range(12)]
    assert codes[:5] == [200] * 5 and 429 in codes[5:]
    r = wall.client.get("/api/incidents")
    if r.status == 429:
        assert r.headers["retry-after"] == "1" and "slow down" in r.json["error"]


# -- metrics -----------------------------------------------------------------------------------
def test_metrics_parse_as_prometheus_text(api_wall):
    wall = api_wall()
    assert wall.client.post("/api/incidents", {"site": "South City Mall"}).status == 201
    wall.client.qtbot.waitUntil(lambda: wall.api.lag_probe.ticks >= 2)
    r = wall.client.get("/metrics")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain")
    fams = {f.name: f for f in text_string_to_metric_families(r.text)}
    for name in ("nazar_feeds", "nazar_wall_tiles", "nazar_feed_fps",
                 "nazar_feed_reconnects", "nazar_feed_decode_errors", "nazar_incidents_open",
                 "nazar_time_to_eyes_on_seconds", "nazar_event_loop_lag_seconds",
                 "nazar_api_requests", "nazar_cap_messages", "nazar_eyes_on_timeouts",
                 "nazar_feed_state_changes"):
        assert name in fams, (name, sorted(fams))
    value = {s.labels.get("state"): s.value for s in fams["nazar_feeds"].samples}
    assert sum(value.values()) == len(wall.win.feeds.feeds()) > 0
    assert value["live"] == 0  # never_opens
    entered = {(s.labels["camera"], s.labels["state"]): s.value
               for s in fams["nazar_feed_state_changes"].samples
               if s.name == "nazar_feed_state_changes_total"}
    assert all(entered[(f.camera_id, "connecting")] == 1 for f in wall.win.feeds.feeds())
    assert fams["nazar_incidents_open"].samples[0].value == 1
    lag = {s.name: s.value for s in fams["nazar_event_loop_lag_seconds"].samples}
    assert lag["nazar_event_loop_lag_seconds_count"] >= 1
    created = {s.labels.get("code"): s.value for s in fams["nazar_api_requests"].samples
               if s.name == "nazar_api_requests_total"}
    assert created.get("201") == 1


# -- CAP through the endpoint ------------------------------------------------------------------
CAP_DIR = ROOT / "tests" / "data" / "cap"


def cap(name: str) -> bytes:
    return (CAP_DIR / name).read_bytes()


def test_cap_alert_update_cancel_and_duplicates_through_the_endpoint(api_wall):
    wall = api_wall()
    desk = wall.win.alarm
    before = wall.win.commands.wall_state()
    r = wall.client.post("/api/cap", cap("south-city-mall-fire.xml"),
                         headers={"Content-Type": "application/xml"})
    assert r.status == 201, r.body
    iid = r.json["incident"]
    inc = desk.get(iid).incident
    assert r.json["action"] == "raised" and desk.on_wall == iid
    assert inc.kind == "fire" and inc.priority == 5 and not inc.exercise
    assert (round(inc.lat, 4), round(inc.lon, 4), inc.radius_m) == (*MALL, 250)
    assert inc.site_id == "south-city-mall"
    assert {c for c in wall.win.model.view if c} >= {p.camera_id for p in desk.current().picks[:8]}
    # The same identifier again: ignored.
    dup = wall.client.post("/api/cap", cap("south-city-mall-fire.xml"))
    assert dup.status == 200 and dup.json["action"] == "duplicate" and len(desk.open) == 1
    # Update: moved 120 m, radius 500 m, a note.
    up = wall.client.post("/api/cap", cap("south-city-mall-update.xml"))
    assert up.status == 200 and up.json["action"] == "updated", up.body
    inc2 = desk.get(iid).incident
    assert inc2.radius_m == 500 and (inc2.lat, inc2.lon) != (inc.lat, inc.lon)
    assert "spreading to the multiplex" in desk.get(iid).notes[-1]["text"]
    # Cancel: cleared, the wall as it was.
    cancel = wall.client.post("/api/cap", cap("south-city-mall-cancel.xml"))
    assert cancel.status == 200 and cancel.json["action"] == "cleared"
    assert not desk.open and wall.win.commands.wall_state() == before
    # An update for the cleared incident: nothing to change.
    late = wall.client.post("/api/cap", cap("south-city-mall-update-late.xml"))
    assert late.status == 404 and "no open incident" in late.json["error"]
    ev = [(r.event, r.payload.get("result")) for r in audit_rows(wall) if r.event == "cap"]
    assert ev == [("cap", "raised"), ("cap", "duplicate"), ("cap", "updated"),
                  ("cap", "cleared"), ("cap", "refused")]


def test_cap_exercise_and_test_show_the_exercise_banner_never_a_real_alarm(api_wall):
    wall = api_wall()
    desk = wall.win.alarm
    for name in ("exercise-quest-mall.xml", "test-park-street.xml"):
        r = wall.client.post("/api/cap", cap(name))
        assert r.status == 201, r.body
        o = desk.get(r.json["incident"])
        assert o.incident.exercise
    wall.win.wall.execute("show_incident", desk.open[0].incident.id)
    assert "EXERCISE" in wall.win.banner.label.text()


def test_cap_bombs_and_bad_messages_are_refused_with_a_reason(api_wall):
    wall = api_wall()
    before = wall.win.commands.wall_state()
    for name, words in (("billion-laughs.xml", "DTD or entities"),
                        ("external-entity.xml", "DTD or entities"),
                        ("no-area.xml", "needs an <area>"),
                        ("wrong-namespace.xml", "not a CAP 1.2"),
                        ("draft.xml", "status Draft")):
        r = wall.client.post("/api/cap", cap(name))
        assert r.status == 400 and words in r.json["error"], (name, r.body)
    assert wall.win.commands.wall_state() == before and not wall.win.alarm.open
    refused = [r.payload["why"] for r in audit_rows(wall) if r.event == "cap"]
    assert len(refused) == 5


def test_an_incident_is_written_out_as_cap(api_wall):
    wall = api_wall()
    iid = wall.client.post("/api/incidents", {"lat": MALL[0], "lon": MALL[1],
                                              "radius_m": 500, "type": "crowd",
                                              "priority": 4, "exercise": True}).json["id"]
    r = wall.client.get(f"/api/incidents/{iid}/cap")
    assert r.status == 200 and r.headers["content-type"].startswith("application/xml")
    back = parse_cap(r.body)
    assert back.ref.identifier == iid and back.msg_type == "Alert" and back.exercise
    assert back.point == pytest.approx(MALL) and back.radius_m == 500
    assert (back.kind, back.priority) == ("crowd", 4)


# -- CAP through the drop folder ---------------------------------------------------------------
def test_cap_through_the_drop_folder(qtbot, api_wall):
    wall = api_wall()
    desk = wall.win.alarm
    drop = wall.drop

    def put(name: str, as_name: str | None = None) -> None:
        tmp = drop / f".{as_name or name}.tmp"  # written, then renamed: the usual way
        tmp.write_bytes(cap(name))
        tmp.rename(drop / (as_name or name))

    put("south-city-mall-fire.xml")
    qtbot.waitUntil(lambda: (drop / "done" / "south-city-mall-fire.xml").exists(),
                    timeout=10000)
    assert len(desk.open) == 1 and desk.current().incident.site_id == "south-city-mall"
    iid = desk.current().incident.id
    put("south-city-mall-fire.xml", "again.xml")  # a duplicate under another file name
    put("south-city-mall-update.xml")
    put("billion-laughs.xml")
    qtbot.waitUntil(lambda: (drop / "done" / "south-city-mall-update.xml").exists()
                    and (drop / "refused" / "billion-laughs.xml").exists()
                    and (drop / "done" / "again.xml").exists(), timeout=10000)
    assert len(desk.open) == 1 and desk.get(iid).incident.radius_m == 500
    reason = (drop / "refused" / "billion-laughs.xml.reason.txt").read_text()
    assert "DTD or entities" in reason
    put("exercise-quest-mall.xml")
    put("south-city-mall-cancel.xml")
    qtbot.waitUntil(lambda: (drop / "done" / "south-city-mall-cancel.xml").exists()
                    and (drop / "done" / "exercise-quest-mall.xml").exists(), timeout=10000)
    assert [o.incident.exercise for o in desk.open] == [True]
    rows = [(r.payload.get("result"), r.payload["operator"]) for r in audit_rows(wall)
            if r.event == "cap"]
    assert ("raised", "cap-drop:south-city-mall-fire.xml") in rows
    assert ("duplicate", "cap-drop:again.xml") in rows
    assert ("refused", "cap-drop:billion-laughs.xml") in rows
    assert not [p for p in drop.iterdir() if p.is_file()]  # every file was moved
    assert json.loads(json.dumps([r.payload for r in audit_rows(wall)]))  # plain JSON


def test_the_checked_in_openapi_document_is_the_served_one(api_wall):
    wall = api_wall()
    served = wall.client.get("/openapi.json").json
    checked_in = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served == checked_in, "docs/openapi.json is out of date: run " \
                                 ".venv/bin/python tools/export_openapi.py"
    assert {"/api/state", "/api/cameras", "/api/incidents", "/api/cap", "/api/wall",
            "/metrics"} <= set(served["paths"])
