"""What dispatch and monitoring may do with a running wall, as plain Python (no Qt, no HTTP).

`Dispatcher` is the one object behind the HTTP API (`app.api`) and the CAP drop folder
(`app.capdrop`). Every method runs on the GUI thread (the API hands each call over through
its `Gateway`) and every change goes through the wall's commands (`WallCommands.run`), with
`WallCommands.acting_as(operator)` so that the audit log names the API caller, never the
officer at the console. No method opens a dialog: joins, confirmations and questions are
answered by the caller's arguments.

It also keeps what monitoring reads: time to eyes-on for each incident shown on the wall
(from the moment the alarm wall is shown until every tile whose camera is not offline or in
error is live; `EYES_ON_GIVE_UP_S` at most), and a snapshot of every open feed's state.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from app.alarm import KIND_TEXT, AlarmDesk, OpenIncident
from app.cap import CapError, CapMessage, incident_to_cap, parse_cap
from app.commands import CommandError, NotFound, Result, WallCommands
from app.geometry import distance_m, point_in_polygon
from app.health import StatusPoller
from app.incidents import RADIUS_STEPS, reason_chip
from app.labels import place_of
from app.registry import Registry, Site
from app.settings import SettingsStore
from app.streams import State, StatusReading

log = logging.getLogger("nazar.dispatch")

EYES_ON_GIVE_UP_S = 60.0
CAP_SEEN_KEY = "cap:seen"  # SettingsStore: (sender,identifier) -> incident id, newest last
CAP_SEEN_KEEP = 2000
SENDER = "nazar@lalbazar.kolkatapolice.invalid"  # the sender of the CAP Nazar writes out


@dataclass(frozen=True)
class CapOutcome:
    action: str  # raised | updated | cleared | duplicate
    incident_id: str | None
    message: str


class Dispatcher:
    def __init__(self, commands: WallCommands, alarm: AlarmDesk, registry: Registry,
                 poller: StatusPoller | None = None,
                 tile_readings: Callable[[], list[StatusReading | None]] | None = None,
                 store: SettingsStore | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.commands = commands
        self.alarm = alarm
        self.registry = registry
        self.poller = poller
        self.tile_readings = tile_readings or (lambda: [])
        self.store = store
        self.clock = clock
        # called with (incident id, seconds) when an alarm wall is all live (app.metrics)
        self.on_eyes_on: list[Callable[[str, float], None]] = []
        self._seen_mem: dict[str, str | None] = {}  # CAP ids seen, when there is no store
        self.eyes_on_timeouts = 0
        self._tracking: tuple[str, float] | None = None
        self._last_on_wall: str | None = alarm.on_wall
        alarm.changed.connect(self._alarm_changed)
        if poller is not None:
            poller.polled.connect(self._polled)

    # -- reading -----------------------------------------------------------------------------
    def tiles(self) -> list[dict]:
        """The tiles of the wall's page: camera, state, fps, the newest frame's age and the
        camera's keyframe interval (measured; None until known)."""
        readings = self.tile_readings()
        tiles = []
        for i, cam in enumerate(self.commands.model.visible()):
            r = readings[i] if i < len(readings) else None
            tiles.append({"tile": i + 1, "camera": cam,
                          "state": (r.state.value if r else ("hidden" if cam else "empty")),
                          "fps": round(r.fps, 1) if r else 0.0,
                          "last_frame_age_s": (None if r is None or r.frame_age_s is None
                                               else round(r.frame_age_s, 2)),
                          "path": r.path if r else "",  # relay hubs: "via ...", "direct · ..."
                          "keyframe_s": (None if r is None or r.keyframe_s is None
                                         else round(r.keyframe_s, 2))})
        return tiles

    def state(self) -> dict:
        model = self.commands.model
        tiles = self.tiles()
        return {"layout": model.layout.name, "page": model.page + 1, "pages": model.pages,
                "selected_tile": model.selected + 1,
                "maximised": model.maximised, "view_slot": self.commands.current_slot,
                "tour": self.commands.tour is not None, "tiles": tiles,
                "incident_on_wall": self.alarm.on_wall,
                "incidents": [self.incident_summary(o) for o in self.alarm.open]}

    def cameras(self) -> list[dict]:
        states = self.poller.camera_states if self.poller else {}
        out = []
        for cam in self.registry.cameras.values():
            out.append({"id": cam.id, "number": cam.number, "name": cam.name,
                        "ownership": cam.ownership, "site": cam.site,
                        "police_station": cam.station, "place": place_of(self.registry, cam),
                        "lat": cam.location.lat, "lon": cam.location.lon,
                        "access": cam.access, "state": states.get(cam.id, "idle")})
        return out

    def incident_summary(self, o: OpenIncident) -> dict:
        inc = o.incident
        return {"id": inc.id, "type": inc.kind, "priority": inc.priority,
                "lat": inc.lat, "lon": inc.lon, "radius_m": inc.radius_m,
                "uncertainty_m": inc.uncertainty_m, "site": inc.site_id,
                "place": self.alarm.place_text(o), "exercise": inc.exercise,
                "raised_at": inc.raised_at.isoformat(), "acknowledged": o.acknowledged,
                "on_wall": inc.id == self.alarm.on_wall, "cameras": len(o.picks),
                "notes": list(o.notes)}

    def incident(self, incident_id: str) -> dict:
        o = self._open(incident_id)
        return {**self.incident_summary(o), "selected": self._picks(o)}

    def incidents(self) -> list[dict]:
        return [self.incident_summary(o) for o in self.alarm.open]

    def _picks(self, o: OpenIncident) -> list[dict]:
        out = []
        for rank, p in enumerate(o.picks, 1):
            cam = self.registry.cameras.get(p.camera_id)
            out.append({"rank": rank, "camera": p.camera_id,
                        "name": cam.name if cam else p.camera_id, "tier": p.tier,
                        "reason": p.reason, "distance_m": p.distance_m,
                        "chip": reason_chip(p, cam)})
        return out

    def _open(self, incident_id: str) -> OpenIncident:
        o = self.alarm.get(incident_id)
        if o is None:
            raise NotFound(f"No open incident {str(incident_id)[:40]}")
        return o

    # -- commands ----------------------------------------------------------------------------
    def _run(self, operator: str, name: str, *args: Any, **kwargs: Any) -> Result:
        with self.commands.acting_as(operator):
            return self.commands.run(name, *args, **kwargs)

    def site_named(self, text: str) -> Site | None:
        """A registry site by id or by name (case and spacing ignored)."""
        key = " ".join(text.split()).casefold()
        for site in self.registry.sites.values():
            if key in (site.id.casefold(), " ".join(site.name.split()).casefold()):
                return site
        return None

    def raise_incident(self, operator: str, *, lat: float | None = None,
                       lon: float | None = None, site: str | None = None,
                       radius_m: float = RADIUS_STEPS[1], uncertainty_m: float = 0.0,
                       kind: str = "fire", priority: int = 3, note: str = "",
                       exercise: bool = False, label: str = "") -> dict:
        site_obj = None
        if site is not None:
            site_obj = self.site_named(site)
            if site_obj is None:
                raise NotFound(f"No site '{site[:60]}' in the registry")
        if lat is None or lon is None:
            if site_obj is None:
                raise CommandError("Give lat and lon, or a site")
            lat, lon = site_obj.location.lat, site_obj.location.lon
        result = self._run(operator, "raise_incident", lat, lon, kind=kind, priority=priority,
                           note=note, radius_m=radius_m, uncertainty_m=uncertainty_m,
                           site_id=site_obj.id if site_obj else None, exercise=exercise,
                           label=label, join=False)
        return {**self.incident(str(result.value)), "message": result.message}

    def acknowledge(self, operator: str, incident_id: str) -> dict:
        self._open(incident_id)
        msg = self._run(operator, "acknowledge", incident_id=incident_id).message
        return {**self.incident_summary(self._open(incident_id)), "message": msg}

    def add_note(self, operator: str, incident_id: str, text: str) -> dict:
        self._open(incident_id)
        if not text.strip():
            raise CommandError("The note is empty")
        msg = self._run(operator, "add_note", text, incident_id=incident_id).message
        return {**self.incident_summary(self._open(incident_id)), "message": msg}

    def clear(self, operator: str, incident_id: str) -> dict:
        self._open(incident_id)
        msg = self._run(operator, "clear_incident", confirmed=True,
                        incident_id=incident_id).message
        return {"id": incident_id, "cleared": True, "message": msg}

    def set_wall(self, operator: str, cameras: list[str | None],
                 layout: str | None = None) -> dict:
        msg = self._run(operator, "set_wall", cameras, layout=layout).message
        return {**self.state(), "message": msg}

    def incident_cap(self, incident_id: str) -> str:
        o = self._open(incident_id)
        inc = o.incident
        return incident_to_cap(identifier=inc.id, sender=SENDER, sent=inc.raised_at,
                               lat=inc.lat, lon=inc.lon, radius_m=inc.search_radius_m,
                               kind=inc.kind, priority=inc.priority, exercise=inc.exercise,
                               area_desc=self.alarm.place_text(o), note=inc.note,
                               headline=self.alarm.incident_title(o))

    # -- CAP ---------------------------------------------------------------------------------
    def _seen(self) -> dict[str, str | None]:
        got = self.store.get(CAP_SEEN_KEY) if self.store is not None else None
        if isinstance(got, dict):
            return {str(k): (v if isinstance(v, str) else None) for k, v in got.items()}
        return self._seen_mem

    def _remember(self, key: str, incident_id: str | None) -> None:
        seen = self._seen()
        seen.pop(key, None)
        seen[key] = incident_id
        while len(seen) > CAP_SEEN_KEEP:
            seen.pop(next(iter(seen)))
        if self.store is not None:
            self.store.put(CAP_SEEN_KEY, seen)
        else:
            self._seen_mem = seen

    def _audit_cap(self, operator: str, data: dict, incident_id: str | None = None) -> None:
        audit = self.commands.audit
        if audit is not None:
            audit.append("cap", incident_id, {**data, "operator": operator})

    def ingest_cap(self, operator: str, data: bytes) -> CapOutcome:
        """One CAP message from `operator` ("api:127.0.0.1", "cap-drop:alert.xml").
        Raises CapError (malformed or not for the wall), NotFound (its references name no
        open incident) or CommandError (the wall refused); each is logged and audited."""
        try:
            msg = parse_cap(data)
            outcome = self._act(operator, msg)
        except (CapError, CommandError) as exc:
            log.warning("CAP from %s refused: %s", operator, exc)
            self._audit_cap(operator, {"result": "refused", "why": str(exc)[:500]})
            raise
        self._audit_cap(operator, {"result": outcome.action, "sender": msg.ref.sender,
                                   "identifier": msg.ref.identifier,
                                   "msg_type": msg.msg_type, "status": msg.status},
                        outcome.incident_id)
        log.info("CAP %s from %s: %s", msg.ref.key, operator, outcome.message)
        return outcome

    def _act(self, operator: str, msg: CapMessage) -> CapOutcome:
        seen = self._seen()
        if msg.ref.key in seen:
            return CapOutcome("duplicate", seen[msg.ref.key],
                              f"already received {msg.ref.key}: ignored")
        if msg.msg_type == "Alert":
            out = self._cap_alert(operator, msg)
        else:
            target = next((seen[r.key] for r in msg.references
                           if seen.get(r.key) and self.alarm.get(seen[r.key] or "")), None)
            if target is None:
                raise NotFound("its <references> name no open incident: "
                               + " ".join(r.key for r in msg.references)[:200])
            if msg.msg_type == "Cancel":
                self.clear(operator, target)
                out = CapOutcome("cleared", target, f"{target} cleared (CAP Cancel)")
            else:
                out = self._cap_update(operator, msg, target)
        self._remember(msg.ref.key, out.incident_id)
        return out

    def _cap_site(self, msg: CapMessage) -> Site | None:
        if msg.area_desc:
            site = self.site_named(msg.area_desc)
            if site is not None:
                return site
        if msg.polygon:
            inside = [s for s in self.registry.sites.values()
                      if point_in_polygon(s.location.lat, s.location.lon, msg.polygon)]
            if inside and msg.point is not None:
                c = msg.point
                return min(inside, key=lambda s: (distance_m(c[0], c[1], s.location.lat,
                                                             s.location.lon), s.id))
        return None

    def _cap_alert(self, operator: str, msg: CapMessage) -> CapOutcome:
        site = self._cap_site(msg)
        lat = lon = None
        radius = msg.radius_m
        if msg.radius_m is not None and msg.point is not None:  # a circle: its own point
            lat, lon = msg.point
        elif site is None and msg.point is not None:  # a polygon around no known site
            lat, lon = msg.point
            reach = max(distance_m(lat, lon, p[0], p[1]) for p in msg.polygon)
            radius = min(max(reach, RADIUS_STEPS[0]), RADIUS_STEPS[-1])
        elif site is None:
            raise CapError(f"<areaDesc> '{msg.area_desc[:60]}' names no site in the registry "
                           "and there is no <circle> or <polygon>")
        note = "; ".join(x for x in (msg.headline or msg.event, msg.note, *msg.warnings) if x)
        label = msg.area_desc if site is None and msg.area_desc else ""
        got = self.raise_incident(operator, lat=lat, lon=lon,
                                  site=site.id if site else None,
                                  radius_m=radius or RADIUS_STEPS[1], kind=msg.kind,
                                  priority=msg.priority, note=note[:500],
                                  exercise=msg.exercise, label=label[:80])
        what = "EXERCISE " if msg.exercise else ""
        return CapOutcome("raised", got["id"], f"{what}{KIND_TEXT.get(msg.kind, 'INCIDENT')} "
                          f"raised as {got['id']}: {got['cameras']} camera(s)")

    def _cap_update(self, operator: str, msg: CapMessage, target: str) -> CapOutcome:
        parts = []
        if msg.point is not None:
            lat, lon = msg.point
            r = self._run(operator, "update_incident", target, lat=lat, lon=lon,
                          radius_m=msg.radius_m)
            parts.append(r.message)
        text = "; ".join(x for x in (msg.headline, msg.note, *msg.warnings) if x)
        if text:
            self.add_note(operator, target, f"CAP update: {text}"[:1000])
            parts.append("note added")
        return CapOutcome("updated", target, "; ".join(parts) or f"{target}: nothing changed")

    # -- monitoring --------------------------------------------------------------------------
    def _alarm_changed(self) -> None:
        on_wall = self.alarm.on_wall
        if on_wall is not None and on_wall != self._last_on_wall:
            self._tracking = (on_wall, self.clock())
        elif on_wall is None:
            self._tracking = None
        self._last_on_wall = on_wall

    def _polled(self) -> None:
        if self._tracking is None:
            return
        incident_id, t0 = self._tracking
        elapsed = self.clock() - t0
        if self.alarm.on_wall != incident_id:
            self._tracking = None
            return
        cams = self.commands.model.visible()
        readings = self.tile_readings()
        waiting = False
        for i, cam in enumerate(cams):
            if cam is None:
                continue
            r = readings[i] if i < len(readings) else None
            if r is None or r.state in (State.OFFLINE, State.ERROR):
                continue  # hidden behind a maximised tile, or cannot be live: not waited for
            if r.state is not State.LIVE:
                waiting = True
        if not waiting:
            self._tracking = None
            for fn in self.on_eyes_on:
                fn(incident_id, elapsed)
        elif elapsed > EYES_ON_GIVE_UP_S:
            self._tracking = None
            self.eyes_on_timeouts += 1

    def feed_snapshot(self) -> dict:
        """Every open feed's camera and reading, and the cameras on the wall (for /metrics)."""
        feeds = []
        if self.poller is not None:
            for feed in self.poller.feeds.feeds():
                r = feed.reading()
                feeds.append({"camera": feed.camera_id, "state": r.state.value, "fps": r.fps,
                              "reconnects": r.reconnects, "decode_errors": r.read_errors,
                              "changes": feed.status.changes()})
        return {"feeds": feeds, "on_wall": [c for c in self.commands.model.visible() if c],
                "tile_states": [t["state"] for t in self.tiles()],
                "incidents_open": len(self.alarm.open),
                "eyes_on_timeouts": self.eyes_on_timeouts,
                "taken_utc": datetime.now(timezone.utc).isoformat()}


__all__ = ["Dispatcher", "CapOutcome", "EYES_ON_GIVE_UP_S", "SENDER"]
