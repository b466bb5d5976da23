"""[dispatch]: the Dispatcher's own logic without Qt or HTTP: time to eyes-on, CAP
bookkeeping, incidents moved and cleared by id."""
from __future__ import annotations

import pytest

from app.alarm import AlarmDesk
from app.commands import CommandError, NotFound, WallCommands
from app.dispatch import EYES_ON_GIVE_UP_S, Dispatcher
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.streams import State, StatusReading
from tests.conftest import DEMO_REGISTRY

MALL = (22.5014, 88.3616)


def reading(state: State) -> StatusReading:
    return StatusReading(state, "", 0.1 if state is State.LIVE else None,
                         25.0 if state is State.LIVE else 0.0, 1)


class Rig:
    def __init__(self, tmp_path):
        self.reg = load_registry(DEMO_REGISTRY)
        self.model = WallModel(layout=LAYOUTS["3x3"], view=self.reg.default_view(9))
        self.store = SettingsStore(tmp_path / "settings")
        self.cmds = WallCommands(self.model, self.reg, store=self.store)
        self.desk = AlarmDesk(self.cmds, self.reg, self.store)
        self.t = 100.0
        self.states: dict[str, State] = {}
        self.seen: list[tuple[str, float]] = []
        self.d = Dispatcher(self.cmds, self.desk, self.reg, None, self.readings, self.store,
                            clock=lambda: self.t)
        self.d.on_eyes_on.append(lambda i, s: self.seen.append((i, s)))

    def readings(self):
        return [reading(self.states.get(c, State.CONNECTING)) if c else None
                for c in self.model.visible()]


def test_eyes_on_waits_for_every_tile_but_not_for_offline_cameras(tmp_path):
    rig = Rig(tmp_path)
    got = rig.d.raise_incident("api:test", site="South City Mall")
    shown = [c for c in rig.model.visible() if c]
    assert got["id"] == rig.desk.on_wall and len(shown) >= 2
    rig.t += 0.4
    rig.d._polled()
    assert rig.seen == []  # all connecting
    for c in shown[:-1]:
        rig.states[c] = State.LIVE
    rig.t += 0.5
    rig.d._polled()
    assert rig.seen == []  # one still connecting
    rig.states[shown[-1]] = State.OFFLINE  # offline: not waited for
    rig.t += 0.3
    rig.d._polled()
    assert rig.seen == [(got["id"], pytest.approx(1.2))]
    rig.d._polled()
    assert len(rig.seen) == 1  # measured once per incident shown


def test_eyes_on_gives_up_after_a_minute(tmp_path):
    rig = Rig(tmp_path)
    rig.d.raise_incident("api:test", lat=MALL[0], lon=MALL[1])
    rig.t += EYES_ON_GIVE_UP_S + 1
    rig.d._polled()
    assert rig.seen == [] and rig.d.eyes_on_timeouts == 1


def test_site_names_and_update_and_clear_by_id(tmp_path):
    rig = Rig(tmp_path)
    assert rig.d.site_named("  south   CITY mall ").id == "south-city-mall"
    assert rig.d.site_named("south-city-mall").id == "south-city-mall"
    with pytest.raises(NotFound, match="Atlantis"):
        rig.d.raise_incident("api:test", site="Atlantis")
    with pytest.raises(CommandError, match="or a site"):
        rig.d.raise_incident("api:test")
    a = rig.d.raise_incident("api:test", site="South City Mall", priority=4)["id"]
    b = rig.d.raise_incident("api:test", site="Quest Mall", priority=2)["id"]
    assert rig.desk.on_wall == a
    res = rig.cmds.run("update_incident", b, lat=22.54, lon=88.366, radius_m=500)
    assert "moved" in res.message and rig.desk.get(b).incident.radius_m == 500
    assert rig.desk.on_wall == a  # moving a listed incident leaves the wall alone
    view = list(rig.model.view)
    rig.d.clear("api:test", b)
    assert rig.model.view == view and [o.incident.id for o in rig.desk.open] == [a]
    with pytest.raises(NotFound):
        rig.d.acknowledge("api:test", b)
