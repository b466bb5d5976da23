"""Plain-Python units: URLs, geometry, layouts, the stream state machine, backoff."""
from __future__ import annotations

import random
import re

import pytest

from app.geometry import (angle_diff, bearing_deg, centered, coverage_polygon, destination,
                          distance_m, fit_size, in_coverage)
from app.layouts import LAYOUTS, WallModel, layout_for
from app.streams import Backoff, State, StreamStatus, StreamTimeouts
from app.urls import UrlError, mask, parse_source, substitute_env


# -- URLs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("url, shown", [
    ("rtsp://admin:hunter2@10.0.0.5:554/Streaming/101", "rtsp://admin:***@10.0.0.5:554/Streaming/101"),
    ("rtsp://token@10.0.0.5/x", "rtsp://***@10.0.0.5/x"),
    ("http://10.0.0.5/mjpg?user=a&password=b&ch=1", "http://10.0.0.5/mjpg?user=a&password=***&ch=1"),
    ("rtsp://10.0.0.5/x", "rtsp://10.0.0.5/x"),
    ("demo://junction?size=sub", "demo://junction?size=sub"),
    # [harden] 7: masked by parsing, whole, whatever the password holds
    ("rtsp://admin:p@ss@10.0.0.5:554/x", "rtsp://admin:***@10.0.0.5:554/x"),
    ("rtsp://admin:pa/ss@10.0.0.5/x", "rtsp://admin:***@10.0.0.5/x"),
    ("rtsp://admin:p#s:s@10.0.0.5/x", "rtsp://admin:***@10.0.0.5/x"),
    ("http://10.0.0.5/cgi?user=a&passwd=s1&x=1", "http://10.0.0.5/cgi?user=a&passwd=***&x=1"),
    ("http://10.0.0.5/cgi?loginuse=a&loginpas=s2", "http://10.0.0.5/cgi?loginuse=a&loginpas=***"),
    ("rtsp://10.0.0.5/ch1;user=a;pwd=s3", "rtsp://10.0.0.5/ch1;user=a;pwd=***"),
    ("http://10.0.0.5/v?PW=s4&Token=s5", "http://10.0.0.5/v?PW=***&Token=***"),
    ("rtsp://10.0.0.5/live@main", "rtsp://10.0.0.5/live@main"),  # no credentials there
])
def test_mask_hides_credentials(url, shown):
    assert mask(url) == shown


@pytest.mark.parametrize("password", ["zz/top", "p#ss", "ab?cd", "12:34/x"])
def test_a_password_with_url_characters_never_shows_in_an_error(password):
    """[harden] 6: such a password (here from ${PW}) broke the URL apart, and the error
    quoted a piece of it ("Port could not be cast to integer value as 'zz'")."""
    raw = "rtsp://admin:${PW}@10.0.0.5:554/x"
    try:
        src = parse_source(raw, env={"PW": password})
    except UrlError as exc:
        text = str(exc)
        assert "percent-encoded" in text
        pieces = {password[i:j] for i in range(len(password))
                  for j in range(i + 3, len(password) + 1)}
        assert not any(p in text for p in pieces if p.strip("/#?:@%") == p), text
    else:
        assert password not in src.display and src.display == "rtsp://admin:***@10.0.0.5:554/x"


def test_env_substitution():
    env = {"PW": "p@ss", "HOST": "10.1.1.1"}
    assert substitute_env("rtsp://u:${PW}@${HOST}/a", env) == "rtsp://u:p@ss@10.1.1.1/a"
    with pytest.raises(UrlError, match=r"\$\{NOPE\}"):
        substitute_env("rtsp://u:${NOPE}@h/a", env)


def test_secret_from_env_never_reaches_display():
    src = parse_source("rtsp://u:${PW}@h/a", env={"PW": "topsecret"})
    assert "topsecret" in src.url and "topsecret" not in src.display


def test_demo_params():
    src = parse_source("demo://junction?size=sub&fps=10")
    assert src.demo_params() == ("junction", {"size": "sub", "fps": "10"})


def test_a_demo_scene_written_like_a_file_url_is_the_same_scene_and_odd_names_are_refused():
    from app.demo import DemoSpec
    assert parse_source("demo:///junction?size=sub").demo_params() == ("junction",
                                                                       {"size": "sub"})
    assert DemoSpec.from_params(*parse_source("demo:///junction").demo_params()).scene \
        == "junction"
    for scene in ("city/BOX", "../etc", "a b"):  # would become part of a cache file's path
        with pytest.raises(ValueError, match=f"demo scene '{re.escape(scene)}' is not a name"):
            DemoSpec.from_params(scene, {})


# -- geometry ------------------------------------------------------------------------------------
def test_distance_and_bearing_between_known_places():
    # Lalbazar HQ to South City Mall: about 7.9 km, roughly south.
    d = distance_m(22.5713, 88.3512, 22.5014, 88.3616)
    assert 7_600 < d < 8_200
    assert 160 < bearing_deg(22.5713, 88.3512, 22.5014, 88.3616) < 175


def test_destination_round_trip():
    lat, lon = destination(22.5, 88.35, 73.0, 250.0)
    assert distance_m(22.5, 88.35, lat, lon) == pytest.approx(250.0, rel=1e-4)
    assert bearing_deg(22.5, 88.35, lat, lon) == pytest.approx(73.0, abs=0.01)


def test_coverage_cone():
    cam = (22.5, 88.35)
    ahead = destination(*cam, 90, 50)  # east, 50 m
    behind = destination(*cam, 270, 50)
    edge_out = destination(*cam, 90 + 40, 50)  # outside a 60 degree cone
    assert in_coverage(*cam, 90, 60, 100, *ahead)
    assert not in_coverage(*cam, 90, 60, 100, *behind)
    assert not in_coverage(*cam, 90, 60, 100, *edge_out)
    assert not in_coverage(*cam, 90, 60, 40, *ahead)  # out of range
    assert in_coverage(*cam, 0, 360, 100, *behind)  # a dome sees all round
    poly = coverage_polygon(*cam, 90, 60, 100, steps=6)
    assert poly[0] == cam and poly[-1] == cam and len(poly) == 9
    assert all(distance_m(*cam, *p) == pytest.approx(100, rel=1e-3) for p in poly[1:-1])


def test_angle_diff_wraps():
    assert angle_diff(350, 10) == 20 and angle_diff(10, 350) == 20 and angle_diff(0, 180) == 180


def test_fit_and_centre():
    assert fit_size(1920, 1080, 400, 400) == (400, 225)
    assert fit_size(640, 480, 1000, 300) == (400, 300)
    assert centered(400, 225, 400, 400) == (0, 87)
    assert fit_size(0, 0, 10, 10) == (10, 10)


# -- layouts -------------------------------------------------------------------------------------
def test_layout_rects_tile_the_area():
    lay = LAYOUTS["3x3"]
    rects = lay.rects(900, 600, gap=0)
    assert len(rects) == 9 and rects[0] == (0, 0, 300, 200) and rects[-1] == (600, 400, 300, 200)
    assert sum(w * h for _, _, w, h in rects) == 900 * 600


def test_neighbours_in_a_grid():
    lay = LAYOUTS["3x3"]
    assert lay.neighbour(4, 1, 0) == 5 and lay.neighbour(4, -1, 0) == 3
    assert lay.neighbour(4, 0, -1) == 1 and lay.neighbour(4, 0, 1) == 7
    assert lay.neighbour(2, 1, 0) == 2  # at the edge: stays


def test_layout_for_count():
    assert layout_for(1).name == "1" and layout_for(4).name == "2x2"
    assert layout_for(5).name == "3x3" and layout_for(17).name == "5x5"
    assert layout_for(100).name == "8x8"


def test_wall_model_keeps_cameras_when_layout_shrinks():
    m = WallModel(layout=LAYOUTS["3x3"], view=[f"C{i}" for i in range(9)])
    m.select(6)
    m.set_layout(LAYOUTS["2x2"])
    assert m.page == 1 and m.selected == 2 and m.visible() == ["C4", "C5", "C6", "C7"]
    m.set_layout(LAYOUTS["3x3"])
    assert m.visible() == [f"C{i}" for i in range(9)] and m.selected == 6


def test_wall_model_put_swap_clear_with_typed_events():
    events = []
    m = WallModel(layout=LAYOUTS["2x2"])
    for ev in m.events.all():
        ev.connect(lambda name=ev.name: events.append(name))
    assert m.put_next_free("A") == 0
    assert events == ["view", "selection"]  # tile 0 is selected and now shows A
    events.clear()
    assert m.put_next_free("B") == 1
    assert m.put_next_free("A") == 0  # already shown: not twice
    assert events == ["view"]  # once: nothing changed the second time
    events.clear()
    m.swap(0, 1)
    assert m.visible() == ["B", "A", None, None] and m.selected == 1
    assert events == ["view", "selection"]
    events.clear()
    m.clear(0)
    assert m.visible() == [None, "A", None, None]
    assert events == ["view"]  # the selected tile (1) still shows A
    events.clear()
    m.select(1)
    m.go_page(0)
    assert events == []  # nothing really changed: no event


def test_put_next_free_on_a_full_page_never_replaces_a_camera():
    m = WallModel(layout=LAYOUTS["2x2"], view=["A", "B", "C", "D", "E"])
    tile = m.put_next_free("X")
    assert m.view[:5] == ["A", "B", "C", "D", "E"]  # nothing on page 1 was replaced
    assert m.page == 1 and m.visible()[tile] == "X" and m.visible()[0] == "E"
    m.go_page(0)
    tile = m.put_next_free("Y")
    assert m.view == ["A", "B", "C", "D", "E", "X", "Y"] and m.page == 1


# -- stream state machine ------------------------------------------------------------------------
def test_state_machine_happy_path_and_stall():
    st = StreamStatus(StreamTimeouts(stall_after_s=2.0))
    st.opening(0.0)
    assert st.reading(0.1).state is State.CONNECTING
    for i in range(30):
        st.frame(1.0 + i * 0.1)
    snap = st.reading(3.95)
    assert snap.state is State.LIVE and snap.frames == 30
    assert snap.fps == pytest.approx(10, rel=0.05)
    assert snap.first_frame_latency_s == pytest.approx(1.0)
    snap = st.reading(6.5)  # 2.6 s without a frame
    assert snap.state is State.STALLED and "no new frame for 3 s" in snap.message
    assert snap.fps == 0
    st.frame(6.6)
    assert st.reading(6.7).state is State.LIVE


def test_state_machine_reconnect_then_offline_then_live():
    st = StreamStatus(StreamTimeouts(offline_after=3))
    st.opening(0.0)
    st.frame(0.5)
    st.failed(6.0, "read timeout", retry_in_s=1.0)
    snap = st.reading(6.2)
    assert snap.state is State.RECONNECTING and snap.retry_in_s == pytest.approx(0.8)
    st.opening(7.0)
    assert st.reading(7.0).state is State.RECONNECTING
    st.failed(7.5, "cannot connect", 2.0)
    st.opening(9.5)
    st.failed(10.0, "cannot connect", 4.0)
    assert st.reading(10.0).state is State.OFFLINE
    st.opening(14.0)
    assert st.reading(14.0).state is State.OFFLINE  # still offline while retrying
    st.frame(14.5)
    assert st.reading(14.6).state is State.LIVE and st.failures == 0


def test_error_and_closed_are_final():
    st = StreamStatus()
    st.opening(0.0)
    st.fatal("file not found: /x.mp4")
    st.frame(1.0)
    st.failed(1.0, "x", 1.0)
    snap = st.reading(2.0)
    assert snap.state is State.ERROR and snap.message == "file not found: /x.mp4"
    st.closed()
    assert st.reading(2.0).state is State.CLOSED


def test_backoff_grows_with_jitter_and_caps():
    b = Backoff(base_s=1, factor=2, cap_s=8, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(7)]
    ceilings = [1, 2, 4, 8, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings))
    assert len(set(delays)) == len(delays)  # jittered
    b.reset()
    assert b.next_delay() <= 1
    with pytest.raises(ValueError):
        Backoff(base_s=0)


# -- [harden] 12: settings that heal ------------------------------------------------------------
def _kept_aside(directory):
    return sorted(p.name for p in directory.iterdir() if ".unreadable-" in p.name)


def test_settings_with_a_foreign_schema_are_kept_aside_and_a_fresh_file_used(tmp_path, caplog):
    import sqlite3

    from app.settings import SettingsStore

    db = sqlite3.connect(tmp_path / "nazar.sqlite3")
    db.execute("CREATE TABLE views (id INTEGER, data BLOB)")
    db.execute("INSERT INTO views VALUES (1, x'00')")
    db.commit()
    db.close()
    store = SettingsStore(tmp_path)
    assert store.problem and "not Nazar's settings" in store.problem
    assert "kept as" in store.problem and any("could not be used" in r.message
                                               for r in caplog.records)
    assert _kept_aside(tmp_path) and store.views() == []
    store.save_view(1, "One", "2x2", ["A"])  # the fresh file works
    assert store.view(1).name == "One"
    kept = sqlite3.connect(tmp_path / _kept_aside(tmp_path)[0])
    assert kept.execute("SELECT COUNT(*) FROM views").fetchone()[0] == 1  # nothing lost
    kept.close()


def test_damaged_settings_pages_and_a_stale_wal_are_caught_at_start(tmp_path):
    from app.settings import SettingsStore

    store = SettingsStore(tmp_path)
    for i in range(1, 10):
        store.save_view(i, "x" * 3000, "3x3", [f"CAM-{j}" for j in range(200)])
    store.close()
    path = tmp_path / "nazar.sqlite3"
    data = bytearray(path.read_bytes())
    data[8192:8192 + 2048] = b"\xff" * 2048  # a damaged page inside the file
    path.write_bytes(bytes(data))
    healed = SettingsStore(tmp_path)
    assert healed.problem is not None and "damaged" in healed.problem
    assert len(_kept_aside(tmp_path)) == 1
    assert healed.views() == [] and healed.free_slot() == 1
    healed.close()
    # Not a database at all, with a stale write-ahead log beside it: both are kept aside
    # (the log left behind used to break the fresh file too, at every start).
    other = tmp_path / "second"
    other.mkdir()
    (other / "nazar.sqlite3").write_bytes(b"\x00garbage" * 500)
    (other / "nazar.sqlite3-wal").write_bytes(b"not a write-ahead log" * 100)
    again = SettingsStore(other)
    assert again.problem is not None and "kept as" in again.problem
    names = _kept_aside(other)
    assert len(names) == 2 and any(n.endswith("-wal") for n in names), names
    again.save_view(2, "Two", "1", ["A"])
    assert SettingsStore(other).view(2).name == "Two"  # and it lasts


def test_a_settings_error_later_is_a_message_not_a_crash(tmp_path):
    from app.commands import CommandError, WallCommands
    from app.layouts import LAYOUTS, WallModel
    from app.registry import parse_registry
    from app.settings import SettingsError, SettingsStore
    from tests.conftest import camera_yaml, registry_text

    reg = parse_registry(registry_text(camera_yaml("A", "rtsp://10.0.0.1/a")))
    store = SettingsStore(tmp_path)
    cmds = WallCommands(WallModel(layout=LAYOUTS["2x2"], view=["A"]), reg, store=store)
    store._db.close()  # the file went away under us (disk error, unmounted home)
    with pytest.raises(CommandError, match="settings file .* could not"):
        cmds.run("save_view_as", slot=1, name="One")
    with pytest.raises(CommandError, match="could not read the saved views"):
        cmds.run("open_view", 1)
    assert store.get("anything", "default") == "default"  # reads fall back, logged
    with pytest.raises(SettingsError):
        store.put("k", 1)
