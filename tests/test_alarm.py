"""[alarm]: alarm mode's desk (Qt-free) and, through the real window, raise -> acknowledge ->
clear."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from app import audit
from app.alarm import AlarmDesk, parse_point
from app.commands import CommandError, WallCommands
from app.incidents import alarm_layout_name, select
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from tests.conftest import DEMO_REGISTRY
from tests.test_shape import window as real_window  # the real window, fresh settings

MALL = (22.5014, 88.3616)
window = real_window  # the fixture, under the name the tests use


@pytest.fixture(scope="module")
def reg():
    return load_registry(DEMO_REGISTRY)


class Clock:
    def __init__(self):
        self.t = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.t

    def tick(self, minutes: float):
        self.t += timedelta(minutes=minutes)


class Answers:
    """A Host that answers every question with the next scripted answer."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list[str] = []

    def confirm(self, question):
        self.asked.append(question)
        return self.answers.pop(0)

    def ask_text(self, question, default=""):
        self.asked.append(question)
        return self.answers.pop(0)


def make(reg, tmp_path, store=None, log=None, clock=None, view=None):
    model = WallModel(layout=LAYOUTS["3x3"], view=view or reg.default_view(12))
    cmds = WallCommands(model, reg, store=store)
    desk = AlarmDesk(cmds, reg, store, log, now=clock or Clock())
    return cmds, desk


def distinctive_wall(cmds, store):
    """A wall with a saved view, page 2, tile 3 selected and maximised, and a tour running."""
    store.save_view(1, "One", "2x2", cmds.model.view[:8])
    store.save_view(2, "Two", "3x3", cmds.model.view[2:11])
    cmds.run("open_view", 1)
    cmds.run("tour")
    cmds.model.go_page(1)
    cmds.run("select_tile", 2)
    cmds.run("maximise")
    return cmds.wall_state()


def test_raise_picks_the_cameras_and_the_1_plus_n_layout(reg, tmp_path):
    cmds, desk = make(reg, tmp_path)
    res = cmds.run("raise_incident", *MALL, site_id="south-city-mall")
    cur = desk.current()
    assert cur is not None and res.value == cur.incident.id
    picks = select(reg, cur.incident)
    assert cur.picks == picks and len(picks) >= 2
    assert cmds.model.layout.name == alarm_layout_name(len(picks))
    assert cmds.model.view[0] == picks[0].camera_id  # the best camera on the big tile
    assert set(cmds.model.cameras()) == {p.camera_id for p in picks}
    assert cmds.current_slot is None and cmds.tour is None
    assert desk.chip(picks[0].camera_id).startswith(("covers", "site", "near"))
    assert desk.chip("no-such-camera") == ""
    b = desk.banner()
    assert b["kind"] == "fire" and b["place"] == "South City Mall" and b["cameras"] == len(picks)
    assert b["acknowledged"] is False and b["exercise"] is False


def test_pre_emption_lower_or_equal_priority_is_listed_higher_replaces(reg, tmp_path):
    clock = Clock()
    cmds, desk = make(reg, tmp_path, clock=clock)
    first = cmds.run("raise_incident", *MALL, priority=3, site_id="south-city-mall").value
    wall = list(cmds.model.view)
    for prio, far in ((2, (22.5726, 88.3639)), (3, (22.59, 88.40))):  # km apart: no join
        clock.tick(1)
        res = cmds.run("raise_incident", *far, priority=prio)
        assert "listed" in res.message
        assert desk.on_wall == first and cmds.model.view == wall
    clock.tick(1)
    third = cmds.run("raise_incident", 22.54, 88.35, priority=4).value
    assert desk.on_wall == third and cmds.model.view != wall
    for i in range(2):
        clock.tick(1)
        cmds.run("raise_incident", 22.52 + i / 100, 88.30, priority=1)
    assert len(desk.open) == 6  # at least 5 open at once
    seen = {cmds.run("next_incident") and desk.on_wall for _ in range(6)}
    assert len(seen) == 6


def test_a_second_raise_nearby_asks_to_join(reg, tmp_path):
    clock = Clock()
    cmds, desk = make(reg, tmp_path, clock=clock)
    first = cmds.run("raise_incident", *MALL, site_id="south-city-mall").value
    clock.tick(2)
    res = cmds.run("raise_incident", 22.5016, 88.3618, site_id="south-city-mall")
    assert res.value == {"join": first} and len(desk.open) == 1
    cmds.run("raise_incident", 22.5016, 88.3618, site_id="south-city-mall", join=True,
             note="second caller")
    assert len(desk.open) == 1 and "second caller" in desk.open[0].notes[-1]["text"]
    cmds.host = Answers(False)  # the Host asks; the officer wants a new incident
    cmds.run("raise_incident", 22.5016, 88.3618, site_id="south-city-mall")
    assert len(desk.open) == 2 and "Join it" in cmds.host.asked[0]
    clock.tick(10)  # later than 5 minutes: no question
    cmds.host = None
    cmds.run("raise_incident", 22.5016, 88.3618, site_id="south-city-mall")
    assert len(desk.open) == 3


def test_radius_change_keeps_every_camera_that_stays_on_its_tile(reg, tmp_path):
    cmds, desk = make(reg, tmp_path)
    cmds.run("raise_incident", *MALL, radius_m=250)  # 14 cameras, 16 at 1000 m
    before = list(cmds.model.view)
    layout = cmds.model.layout
    cmds.run("change_radius", 1)
    cmds.run("change_radius", 1)
    after = list(cmds.model.view)
    assert desk.current().incident.radius_m == 1000
    assert cmds.model.layout == layout
    assert len(set(after) - {None}) > len(set(before) - {None})
    for i, cid in enumerate(before):
        if cid is not None:
            assert after[i] == cid  # nothing dropped at a larger radius, nothing moved
    for _ in range(3):
        cmds.run("change_radius", -1)
    assert desk.current().incident.radius_m == 100
    now = list(cmds.model.view)
    kept = {p.camera_id for p in desk.current().picks}
    for i, cid in enumerate(after):
        if cid in kept:
            assert now[i] == cid
    assert set(now) - {None} == kept
    assert "smallest" in cmds.run("change_radius", -1).message


def test_clear_restores_the_exact_wall_and_the_tour(reg, tmp_path):
    store = SettingsStore(tmp_path / "s")
    cmds, desk = make(reg, tmp_path, store=store)
    before = distinctive_wall(cmds, store)
    assert cmds.tour is not None and before["maximised"] and before["page"] == 1
    cmds.run("raise_incident", *MALL, site_id="south-city-mall")
    assert cmds.tour is None and cmds.current_slot is None
    cmds.run("acknowledge")
    with pytest.raises(CommandError):
        cmds.run("clear_incident")  # no Host to confirm: not cleared
    cmds.host = Answers(False)
    with pytest.raises(CommandError, match="Not cleared"):
        cmds.run("clear_incident")
    cmds.host = Answers(True)
    cmds.run("clear_incident")
    assert cmds.wall_state() == before
    assert cmds.tour is not None
    assert store.get("alarm:pre-wall:1") is None and desk.current() is None


def test_audit_rows_are_written_in_order_and_verify(reg, tmp_path):
    path = tmp_path / "audit.sqlite3"
    log = audit.AuditLog(path)
    cmds, desk = make(reg, tmp_path, log=log)
    inc = cmds.run("raise_incident", *MALL, site_id="south-city-mall").value
    n_shown = len(cmds.model.cameras())
    cmds.run("acknowledge")
    cmds.run("add_note", "smoke on 4F")
    cmds.run("change_radius", 1)
    cmds.run("clear_incident", confirmed=True)
    log.close()
    events = [r.event for r in audit.rows(path, inc)]
    assert events[0] == "raise"
    assert events[1:1 + n_shown] == ["view_start"] * n_shown
    rest = [e for e in events[1 + n_shown:] if e not in ("view_start", "view_stop")]
    assert rest == ["acknowledge", "note", "radius", "clear"]
    assert events[-1] == "view_stop" and events.index("clear") < len(events) - 1
    starts = sum(e == "view_start" for e in events)
    assert starts == sum(e == "view_stop" for e in events)
    assert audit.verify(path) == []


def test_a_crash_keeps_the_incident_open_and_clear_restores_the_wall(reg, tmp_path):
    store = SettingsStore(tmp_path / "s")
    cmds, desk = make(reg, tmp_path, store=store)
    before = distinctive_wall(cmds, store)
    inc = cmds.run("raise_incident", *MALL, site_id="south-city-mall").value
    cmds.run("add_note", "first note")
    store.close()
    del desk, cmds  # the crash: nothing else is saved
    store = SettingsStore(tmp_path / "s")
    cmds2, desk2 = make(reg, tmp_path, store=store)  # a new wall, as after a restart
    assert [o.incident.id for o in desk2.open] == [inc] and desk2.on_wall == inc
    assert desk2.open[0].notes[0]["text"] == "first note"
    desk2.resume()
    assert desk2.chip(cmds2.model.view[0])
    cmds2.run("clear_incident", confirmed=True)
    assert cmds2.wall_state() == before and cmds2.tour is not None
    store.close()


def test_incident_only_camera_is_refused_outside_an_incident_and_logged(reg, tmp_path):
    path = tmp_path / "audit.sqlite3"
    log = audit.AuditLog(path)
    cmds, desk = make(reg, tmp_path, log=log)
    private = next(c for c in reg.cameras.values() if c.access == "incident_only")
    for name in ("put_camera", "open_camera"):
        with pytest.raises(CommandError, match="only during an incident"):
            cmds.run(name, private.id)
    assert private.id not in cmds.model.view
    rows = audit.rows(path)
    assert [r.event for r in rows] == ["refused", "refused"]
    assert rows[0].payload["camera"] == private.id and rows[0].incident_id is None
    # During an incident at its site, select returns it and the wall may show it.
    cmds.run("raise_incident", private.location.lat, private.location.lon,
             site_id=private.site)
    assert private.id in {p.camera_id for p in desk.current().picks}
    assert private.id in cmds.model.view
    assert "incident only" in desk.chip(private.id)
    cmds.run("open_camera", private.id)  # allowed now
    log.close()
    assert audit.verify(path) == []


def test_exercise_drill_and_commands_without_an_incident(reg, tmp_path):
    cmds, desk = make(reg, tmp_path)
    for name, args in (("acknowledge", ()), ("add_note", ("x",)), ("change_radius", (1,)),
                       ("clear_incident", ()), ("next_incident", ())):
        with pytest.raises(CommandError):
            cmds.run(name, *args)
    cmds.run("exercise_drill")
    b = desk.banner()
    assert b["exercise"] is True and "drill" in b["place"]
    bare = load_registry(DEMO_REGISTRY)
    bare.sites.pop("south-city-mall")
    cmds2, _ = make(bare, tmp_path)
    with pytest.raises(CommandError, match="south-city-mall"):
        cmds2.run("exercise_drill")


def test_a_wall_without_a_desk_says_alarm_is_elsewhere(reg):
    cmds = WallCommands(WallModel(), reg)
    with pytest.raises(CommandError, match="main wall"):
        cmds.run("acknowledge")


@pytest.mark.parametrize("text,point", [("22.5014, 88.3616", (22.5014, 88.3616)),
                                        ("22.5014 88.3616", (22.5014, 88.3616)),
                                        (" -3.5,+10 ", (-3.5, 10.0))])
def test_parse_point(text, point):
    assert parse_point(text) == point


@pytest.mark.parametrize("text,why", [("22.5014", "not a point"), ("22.5, 88.3x", "not a point"),
                                      ("95, 88", "latitude"), ("22.5, 188", "longitude")])
def test_parse_point_errors(text, why):
    with pytest.raises(ValueError, match=why):
        parse_point(text)


# -- through the real window ---------------------------------------------------------------------
def test_raise_acknowledge_clear_through_the_window(window, qtbot, reg):
    from tests.support.dialogs import answer_next_dialog
    from tests.test_operate import press

    win = window(DEMO_REGISTRY, layout="3x3", view=reg.default_view(9))
    win.wall.execute("select_tile", 4)
    before = win.commands.wall_state()
    assert not win.banner.isVisible()
    asked = answer_next_dialog("south city")  # Ctrl+I, type "south city", Enter
    press(qtbot, win, "Ctrl+I")
    assert asked == []  # the raise dialog is no question: it was typed into, then Enter
    cur = win.alarm.current()
    assert cur is not None and cur.incident.site_id == "south-city-mall"
    assert win.model.layout.name == alarm_layout_name(len(cur.picks))
    shown = [t for t in win.wall.tiles if t.content is not None]
    assert len(shown) == win.model.layout.tiles
    assert all(t.content.chip for t in shown)
    assert shown[0].content.chip == win.alarm.chip(shown[0].content.camera_id)
    banner = win.banner
    assert banner.isVisible() and "South City Mall" in banner.label.text()
    assert "FIRE" in banner.label.text() and "Alt+A" in banner.hint.text()
    assert banner.flashing
    qtbot.waitUntil(lambda: banner.flashes >= 2, timeout=3000)
    press(qtbot, win, "Alt+A")
    assert not banner.flashing and cur.acknowledged  # stopped at once, not at the next tick
    assert not banner.flash_timer.isActive()  # nothing will toggle it again
    asked = answer_next_dialog(accept=True)
    press(qtbot, win, "Ctrl+Alt+C")
    assert asked and "Clear" in asked[0]
    assert win.commands.wall_state() == before
    assert not banner.isVisible()
    assert not any(t.content.chip for t in win.wall.tiles if t.content is not None)


def test_exercise_banner_is_unmistakable_and_reduced_motion_is_solid(window, qtbot):
    win = window(DEMO_REGISTRY, layout="2x2")
    win.actions_by_name["exercise_drill"].trigger()
    assert "EXERCISE" in win.banner.label.text()
    assert "#0d47a1" in win.banner.styleSheet()  # blue stripes, never the real red
    win.banner.reduced_motion = True
    win.banner.refresh()
    assert not win.banner.flashing and win.banner.isVisible()


def test_raise_from_the_map_is_two_actions_ctrl_double_click_and_enter(window, qtbot, reg):
    """A site on the map: Ctrl+double-click its pin (here: the bridge slot its double-click
    calls), then Enter in the dialog that opens with the site filled in."""
    from tests.support.dialogs import answer_next_dialog

    win = window(DEMO_REGISTRY, layout="3x3", view=reg.default_view(9), with_map=True)
    answer_next_dialog()  # Enter: the place is already there
    win.map_panel.bridge.raiseAtSite("south-city-mall")
    cur = win.alarm.current()
    assert cur is not None and cur.incident.site_id == "south-city-mall"
    win.wall.execute("clear_incident", confirmed=True)
    answer_next_dialog()
    win.map_panel.bridge.raiseAt(22.5300, 88.3400)  # a point: typed in as lat, lon
    cur = win.alarm.current()
    assert cur is not None and cur.incident.site_id is None
    assert (round(cur.incident.lat, 4), round(cur.incident.lon, 4)) == (22.53, 88.34)


def test_the_incident_on_the_wall_is_on_the_map(window, qtbot, reg):
    from tests.test_map_view import js

    win = window(DEMO_REGISTRY, layout="3x3", view=reg.default_view(9), with_map=True)
    panel = win.map_panel
    win.wall.execute("exercise_drill")
    cur = win.alarm.current()
    shown = js(qtbot, panel, "Nazar.incidentShown()")
    assert shown["label"] == "EXERCISE FIRE · South City Mall fire drill"
    assert shown["picks"] == len(cur.picks) and shown["radius"] == cur.incident.search_radius_m
    win.wall.execute("clear_incident", confirmed=True)
    qtbot.waitUntil(lambda: js(qtbot, panel, "Nazar.incidentShown()") is None, timeout=3000)


def test_sound_at_raise_repeats_until_acknowledged_and_stops_at_once(window, qtbot):
    from app.sounds import RATE, TONES, alarm_wav

    win = window(DEMO_REGISTRY, layout="2x2")
    played, stopped = [], []
    from widgets.alarm_sound import AlarmSound
    sound = AlarmSound(win.alarm, win.wall.store.directory, win, repeat_s=0.2,
                       player=(lambda: played.append(1), lambda: stopped.append(1)))
    win.wall.execute("exercise_drill")
    assert played == [1] and sound.sounding  # at the raise, at once
    qtbot.waitUntil(lambda: len(played) >= 3, timeout=3000)  # and again while unacknowledged
    win.wall.execute("acknowledge")
    assert not sound.sounding and stopped and not sound.timer.isActive()  # stopped at once
    n = len(played)
    site = win.registry.sites["acropolis-mall"]  # a second incident, not more urgent: listed
    win.wall.execute("raise_incident", site.location.lat, site.location.lon, site_id=site.id,
                     priority=1, join=False)
    assert len(played) == n + 1 and not sound.timer.isActive()  # once, no repeats
    n = len(played)
    win.wall.execute("clear_incident", confirmed=True)  # Acropolis takes the wall: it sounds
    assert len(played) == n + 1 and sound.sounding
    # The window's own sound: the real tone file, loaded at the first raise.
    wav = alarm_wav(win.wall.store.directory)
    import wave
    with wave.open(str(wav)) as w:
        assert w.getframerate() == RATE
        assert w.getnframes() == sum(int(s * RATE) for _, s in TONES)
    assert win.sound.plays == 3  # the window's own: the drill, the listed one, the next
    assert win.sound.sounding  # Acropolis took the wall at the clear: unacknowledged


def test_incident_list_dock_lists_every_open_incident_and_switches(window, qtbot, reg):
    win = window(DEMO_REGISTRY, layout="3x3", view=reg.default_view(9))
    assert not win.incident_dock.isVisibleTo(win)
    sites = ["south-city-mall", "acropolis-mall", "quest-mall", "forum-courtyard",
             "mani-square"]
    for k, sid in enumerate(sites):
        s = reg.sites[sid]
        assert win.wall.execute("raise_incident", s.location.lat, s.location.lon,
                                site_id=sid, priority=2 + (k == 0), join=False) is not None
    assert win.incident_dock.isVisibleTo(win)
    lst = win.incidents
    assert lst.count() == 5
    first = lst.item(0).text()
    assert first.startswith("▶ FIRE · South City Mall")  # on the wall, most urgent first
    target = lst.item(3)
    other = target.data(Qt.ItemDataRole.UserRole)
    lst.setCurrentItem(target)
    lst.setFocus()
    qtbot.keyClick(lst, Qt.Key.Key_Return)
    assert win.alarm.on_wall == other
    marked = [lst.item(i).data(Qt.ItemDataRole.UserRole) for i in range(lst.count())
              if lst.item(i).text().startswith("▶")]
    assert marked == [other]  # the list marks the incident now on the wall


def test_clear_can_keep_the_alarm_wall_as_a_saved_view(window, qtbot, reg):
    from tests.support.dialogs import answer_next_dialog
    from tests.test_operate import press

    win = window(DEMO_REGISTRY, layout="3x3", view=reg.default_view(9))
    before = win.commands.wall_state()
    win.wall.execute("exercise_drill")
    alarm_view = list(win.model.view)
    asked = answer_next_dialog(button="Save this wall as a view, then clear")
    press(qtbot, win, "Ctrl+Alt+C")
    assert asked and "Clear" in asked[0]
    saved = win.wall.store.views()
    assert len(saved) == 1 and saved[0].cameras == alarm_view
    assert "South City Mall" in saved[0].name
    assert win.alarm.current() is None
    assert {k: v for k, v in win.commands.wall_state().items() if k != "current_slot"} == \
        {k: v for k, v in before.items() if k != "current_slot"}


def test_reduced_motion_is_a_setting_kept_between_runs(window, qtbot):
    win = window(DEMO_REGISTRY, layout="2x2")
    assert not win.banner.reduced_motion
    win.actions_by_name["reduced_motion"].trigger()
    assert win.banner.reduced_motion and win.wall.store.get("ui:reduced-motion") is True
    win.wall.execute("exercise_drill")
    assert win.banner.isVisibleTo(win) and not win.banner.flashing  # steady
    from app.feeds import FeedManager
    from app.layouts import WallModel
    from widgets.main_window import MainWindow
    again = MainWindow(win.registry, WallModel(), FeedManager(opener=lambda *a: None),
                       store=win.wall.store)
    qtbot.addWidget(again)
    assert again.banner.reduced_motion
    again.close()
