"""Alarm mode: the open incidents of one main wall, and the commands that run them (no Qt).

`AlarmDesk` holds the open incidents (any number), which one is on the wall, whether each was
acknowledged, and its notes. Its commands are registered in `app.commands.COMMANDS` with the
target "alarm", so they go through the same front door as every other command
(`WallCommands.run(name, ...)`, `WallWidget.execute(name, ...)`).

Promises:

- Every command writes its audit row first (raise, acknowledge, note, radius, clear, and
  view_start / view_stop for the cameras the alarm puts on or takes off the wall), then shows
  the effect. A failed audit write stops the command.
- The wall before the first incident (`WallCommands.wall_state()` plus whether a tour ran) is
  stored in the SettingsStore before the alarm wall is shown, and the open incidents are
  stored at every change: after a crash, a new desk built from the same store has the same
  incidents open, and clearing the last one restores that exact wall.
- Pre-emption: a new incident takes the wall only when no incident is on it or its priority
  is strictly higher; otherwise it is listed (Alt+I shows the next one).
- The alarm wall is a replacing command: it stops the tour and the wall is no longer a saved
  view. It is not put on the undo stack: clearing the incident is what brings the wall back.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from app.audit import AuditLog
from app.commands import CommandError, NotFound, Result, WallCommands, command
from app.geometry import distance_m
from app.incidents import (INCIDENT_KINDS, PRIORITIES, RADIUS_STEPS, Incident, Pick,
                           alarm_layout_name, choose_big, compass_arrangement, keep_positions,
                           radius_down, radius_up, reason_chip, select)
from app.layouts import Event
from app.registry import Registry
from app.settings import SettingsStore

JOIN_WINDOW = timedelta(minutes=5)  # a second raise this soon and this close: join it?
JOIN_DISTANCE_M = 300.0
DRILL_SITE = "south-city-mall"
KIND_TEXT = {"fire": "FIRE", "crowd": "CROWD", "law_and_order": "LAW AND ORDER",
             "other": "INCIDENT"}


class IncidentNotFound(NotFound):
    """No open incident has that id (the API answers 404)."""


class AlarmHost(Protocol):
    """What the window does for alarm commands (besides `app.commands.Host`)."""

    def confirm(self, question: str) -> bool: ...
    def ask_text(self, question: str, default: str = "") -> str | None: ...
    def ask_incident(self, prefill: dict | None = None) -> dict | None: ...
    # raise_incident's arguments (None: cancelled); prefill: lat, lon, site_id from the map


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


_NUMBER = r"[-+]?\d+(?:\.\d+)?"


def looks_like_point(text: str) -> bool:
    """Text that is meant as coordinates (starts with a digit or a sign), not a search."""
    return bool(re.match(r"\s*[-+]?\d", text))


def parse_point(text: str) -> tuple[float, float]:
    """"22.5014, 88.3616" (a comma, spaces or both between) -> (lat, lon). ValueError with
    a message for the officer otherwise."""
    m = re.fullmatch(rf"\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*", text)
    if m is None:
        raise ValueError(f"'{text.strip()[:40]}' is not a point: type latitude, longitude "
                         "in degrees, e.g. 22.5014, 88.3616")
    lat, lon = float(m.group(1)), float(m.group(2))
    if not -90 <= lat <= 90:
        raise ValueError(f"latitude {lat:g} is out of range (-90 to 90); latitude comes first")
    if not -180 <= lon <= 180:
        raise ValueError(f"longitude {lon:g} is out of range (-180 to 180)")
    return lat, lon


@dataclass
class OpenIncident:
    incident: Incident
    label: str = ""
    acknowledged: bool = False
    notes: list[dict] = field(default_factory=list)  # {"utc": iso, "text": ...}
    picks: list[Pick] = field(default_factory=list)

    def to_dict(self) -> dict:
        i = self.incident
        return {"id": i.id, "lat": i.lat, "lon": i.lon, "kind": i.kind, "priority": i.priority,
                "note": i.note, "radius_m": i.radius_m, "uncertainty_m": i.uncertainty_m,
                "site_id": i.site_id, "exercise": i.exercise,
                "raised_at": i.raised_at.isoformat(), "label": self.label,
                "acknowledged": self.acknowledged, "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, d: dict) -> OpenIncident:
        inc = Incident(id=str(d["id"]), lat=d["lat"], lon=d["lon"], kind=d["kind"],
                       priority=d["priority"], note=d.get("note", ""), radius_m=d["radius_m"],
                       uncertainty_m=d.get("uncertainty_m", 0), site_id=d.get("site_id"),
                       exercise=bool(d.get("exercise")),
                       raised_at=datetime.fromisoformat(d["raised_at"]))
        return cls(inc, str(d.get("label", "")), bool(d.get("acknowledged")),
                   [n for n in d.get("notes", []) if isinstance(n, dict)])


class AlarmDesk:
    """The open incidents of one main wall. Built once per main wall; attaches itself to the
    wall's commands so that `commands.run("raise_incident", ...)` reaches it."""

    def __init__(self, commands: WallCommands, registry: Registry,
                 store: SettingsStore | None = None, audit: AuditLog | None = None,
                 wall_key: str = "1", now: Callable[[], datetime] = _utc_now,
                 offline: Callable[[str], bool] | None = None):
        self.commands = commands
        self.registry = registry
        self.store = store
        self.audit = audit
        self.wall_key = wall_key
        self.now = now
        self.offline = offline or (lambda _cid: False)
        self.open: list[OpenIncident] = []
        self.on_wall: str | None = None  # the id of the incident the wall shows
        self.shown: list[str] = []  # the cameras the alarm put on the wall
        self.changed = Event("alarm")
        self._seq = 0
        self._pre: dict | None = None  # the pre-incident wall when there is no store
        commands.alarm = self
        if audit is not None and commands.audit is None:
            commands.audit = audit
        self._load()

    # -- persistence -------------------------------------------------------------------------
    @property
    def _pre_key(self) -> str:
        return f"alarm:pre-wall:{self.wall_key}"

    @property
    def _open_key(self) -> str:
        return f"alarm:open:{self.wall_key}"

    def _load(self) -> None:
        if self.store is None:
            return
        saved = self.store.get(self._open_key)
        if not isinstance(saved, dict):
            return
        for d in saved.get("incidents", []):
            try:
                self.open.append(OpenIncident.from_dict(d))
            except (KeyError, TypeError, ValueError):
                continue  # one damaged incident does not hide the others
        on_wall = saved.get("on_wall")
        self.on_wall = on_wall if any(o.incident.id == on_wall for o in self.open) else None
        self.shown = [c for c in saved.get("shown", []) if isinstance(c, str)]
        self._seq = int(saved.get("seq", len(self.open))) if str(
            saved.get("seq", "")).isdigit() else len(self.open)
        for o in self.open:
            o.picks = select(self.registry, o.incident)

    def _persist(self) -> None:
        if self.store is not None:
            self.store.put(self._open_key, {"incidents": [o.to_dict() for o in self.open],
                                            "on_wall": self.on_wall, "shown": self.shown,
                                            "seq": self._seq})

    def _audit(self, event: str, incident_id: str | None, data: dict) -> None:
        if self.audit is not None:
            if self.commands.operator is not None:  # e.g. "api:127.0.0.1" (see dispatch)
                data = {**data, "operator": self.commands.operator}
            self.audit.append(event, incident_id, data)

    # -- reading -----------------------------------------------------------------------------
    def current(self) -> OpenIncident | None:
        return next((o for o in self.open if o.incident.id == self.on_wall), None)

    def get(self, incident_id: str) -> OpenIncident | None:
        return next((o for o in self.open if o.incident.id == incident_id), None)

    def _find(self, incident_id: str | None) -> OpenIncident:
        """The open incident `incident_id`, or (None) the one on the wall."""
        if incident_id is None:
            return self._require()
        o = self.get(incident_id)
        if o is None:
            raise IncidentNotFound(f"No open incident {str(incident_id)[:40]}")
        return o

    def _require(self) -> OpenIncident:
        cur = self.current()
        if cur is None:
            raise CommandError("No incident on the wall (Ctrl+I raises one)")
        return cur

    def place_text(self, o: OpenIncident) -> str:
        inc = o.incident
        if o.label:
            return o.label
        site = self.registry.sites.get(inc.site_id) if inc.site_id else None
        if site is not None:
            return site.name
        return f"{inc.lat:.5f}, {inc.lon:.5f}"

    def incident_title(self, o: OpenIncident) -> str:
        """"FIRE · South City Mall" ("EXERCISE FIRE · …" for a drill): the map's label."""
        inc = o.incident
        what = ("EXERCISE " if inc.exercise else "") + KIND_TEXT.get(inc.kind, "INCIDENT")
        return f"{what} · {self.place_text(o)}"

    def chip(self, camera_id: str) -> str:
        """The reason chip for a tile showing `camera_id` (empty outside an incident)."""
        cur = self.current()
        if cur is None:
            return ""
        pick = next((p for p in cur.picks if p.camera_id == camera_id), None)
        return reason_chip(pick, self.registry.cameras.get(camera_id)) if pick else ""

    def banner(self) -> dict | None:
        """Plain data for the banner, or None when no incident is on the wall."""
        cur = self.current()
        if cur is None:
            return None
        inc = cur.incident
        return {"id": inc.id, "kind": inc.kind, "kind_text": KIND_TEXT.get(inc.kind, "INCIDENT"),
                "place": self.place_text(cur), "raised_at": inc.raised_at,
                "cameras": len(cur.picks), "exercise": inc.exercise,
                "acknowledged": cur.acknowledged, "priority": inc.priority,
                "radius_m": inc.search_radius_m, "open": len(self.open),
                "waiting": sum(1 for o in self.open if o is not cur)}

    # -- the wall ----------------------------------------------------------------------------
    def _usable(self, camera_id: str) -> bool:
        return not self.offline(camera_id)

    def _alarm_view(self, o: OpenIncident) -> tuple[list[str | None], str]:
        picks = o.picks
        name = alarm_layout_name(len(picks))
        big = choose_big(picks, self._usable)
        view = compass_arrangement(picks, big, name, o.incident, usable=self._usable)
        return view, name

    def _views_audit(self, incident_id: str, view: list[str | None]) -> None:
        """view_start / view_stop rows for the cameras the alarm puts on / takes off."""
        new = list(dict.fromkeys(c for c in view if c))
        for cid in new:
            if cid not in self.shown:
                self._audit("view_start", incident_id, {"camera": cid})
        for cid in self.shown:
            if cid not in new:
                self._audit("view_stop", incident_id, {"camera": cid})
        self.shown = new

    def _show(self, o: OpenIncident) -> None:
        """Put incident `o` on the wall (a replacing command: tour stops, no view slot)."""
        view, name = self._alarm_view(o)
        self._views_audit(o.incident.id, view)
        self.on_wall = o.incident.id
        self._persist()
        self.commands._replace(view, name)
        self.changed.emit()

    def resume(self) -> None:
        """After a restart: show the incident that was on the wall again."""
        cur = self.current()
        if cur is not None:
            view, name = self._alarm_view(cur)
            self.commands._replace(view, name)
            self.changed.emit()

    # -- commands ----------------------------------------------------------------------------
    @command("raise_incident", "Raise an incident", "alarm", target="alarm")
    def raise_incident(self, lat: float, lon: float, kind: str = "fire", priority: int = 3,
                       note: str = "", radius_m: float = RADIUS_STEPS[1],
                       uncertainty_m: float = 0, site_id: str | None = None,
                       exercise: bool = False, label: str = "",
                       join: bool | None = None) -> Result:
        now = self.now()
        if site_id is not None and site_id not in self.registry.sites:
            raise CommandError(f"No site {site_id[:40]} in the registry")
        self._seq += 1
        try:
            inc = Incident(id=f"INC-{now:%Y%m%d-%H%M%S}-{self._seq}", lat=lat, lon=lon,
                           kind=kind, priority=priority, note=note, radius_m=radius_m,
                           uncertainty_m=uncertainty_m, site_id=site_id, exercise=exercise,
                           raised_at=now)
        except ValueError as exc:
            self._seq -= 1
            raise CommandError(f"Not raised: {exc}") from None
        twin = self._join_candidate(inc)
        if twin is not None:
            if join is None and self.commands.host is not None:
                join = self.commands.host.confirm(
                    f"An incident was raised {self._ago(twin.incident.raised_at)} "
                    f"{distance_m(lat, lon, twin.incident.lat, twin.incident.lon):.0f} m from "
                    f"here: {self.place_text(twin)}. Join it (Yes) or raise a new one (No)?")
            if join is None:
                self._seq -= 1
                return Result(f"An open incident is within {JOIN_DISTANCE_M:g} m and "
                              f"{JOIN_WINDOW.seconds // 60} minutes ({twin.incident.id}): join "
                              "it or raise a new one?", {"join": twin.incident.id})
            if join:
                self._seq -= 1
                text = f"Joined: another raise at {lat:.5f}, {lon:.5f}" + \
                    (f" ({note})" if note else "")
                return self.add_note(text, incident_id=twin.incident.id)
        o = OpenIncident(inc, label=label)
        self._audit("raise", inc.id, {
            "lat": inc.lat, "lon": inc.lon, "kind": inc.kind, "priority": inc.priority,
            "note": inc.note, "radius_m": inc.radius_m, "uncertainty_m": inc.uncertainty_m,
            "site_id": inc.site_id, "exercise": inc.exercise, "label": label})
        o.picks = select(self.registry, inc)
        cur = self.current()
        if cur is None:  # the wall before any incident, kept before the alarm wall shows
            self._pre = {"state": self.commands.wall_state(),
                         "tour": self.commands.tour is not None}
            if self.store is not None:
                self.store.put(self._pre_key, self._pre)
        self.open.append(o)
        what = ("EXERCISE " if inc.exercise else "") + KIND_TEXT.get(inc.kind, "INCIDENT")
        if cur is None or inc.priority > cur.incident.priority:
            self._show(o)
            return Result(f"{what} at {self.place_text(o)}: {len(o.picks)} camera(s) on the "
                          "wall (Alt+A acknowledges)", inc.id)
        self._persist()
        self.changed.emit()
        return Result(f"{what} at {self.place_text(o)} raised and listed: the wall keeps "
                      f"{cur.incident.id} (priority {cur.incident.priority} >= "
                      f"{inc.priority}); Alt+I shows the next incident", inc.id)

    def _join_candidate(self, inc: Incident) -> OpenIncident | None:
        for o in self.open:
            other = o.incident
            same_site = other.site_id is None or inc.site_id is None or \
                other.site_id == inc.site_id
            if (same_site and inc.raised_at - other.raised_at <= JOIN_WINDOW
                    and distance_m(inc.lat, inc.lon, other.lat, other.lon) <= JOIN_DISTANCE_M):
                return o
        return None

    def _ago(self, when: datetime) -> str:
        s = max(0, int((self.now() - when).total_seconds()))
        return f"{s // 60} min {s % 60} s ago" if s >= 60 else f"{s} s ago"

    @command("raise_at_camera", "Raise an incident at the selected camera", "alarm",
             target="alarm")
    def raise_at_camera(self, join: bool | None = None) -> Result:
        cid = self.commands.model.selected_camera()
        cam = self.registry.cameras.get(cid) if cid else None
        if cam is None:
            raise CommandError("Select a tile that shows a camera first")
        return self.raise_incident(cam.location.lat, cam.location.lon, site_id=cam.site,
                                   label=f"at {cam.name}", join=join)

    @command("raise_dialog", "Raise an incident…", "alarm", target="alarm")
    def raise_dialog(self, lat: float | None = None, lon: float | None = None,
                     site_id: str | None = None) -> Result:
        """The raise dialog; from the map, with the point or site filled in (Enter raises)."""
        host: Any = self.commands.host
        ask = getattr(host, "ask_incident", None)
        if ask is None:
            raise CommandError("Raising an incident is in the main window")
        prefill = None
        if lat is not None and lon is not None:
            prefill = {"lat": float(lat), "lon": float(lon),
                       "site_id": site_id if site_id in self.registry.sites else None}
        args = ask(prefill)
        if args is None:
            raise CommandError("No incident raised")
        return self.raise_incident(**args)

    @command("exercise_drill", "Start the South City Mall fire drill (Exercise)", "alarm",
             target="alarm")
    def exercise_drill(self) -> Result:
        site = self.registry.sites.get(DRILL_SITE)
        if site is None:
            raise CommandError(f"The drill needs the site '{DRILL_SITE}' (the demo registry, "
                               "cameras.yaml); this registry has no such site")
        return self.raise_incident(site.location.lat, site.location.lon, kind="fire",
                                   priority=3, site_id=site.id, exercise=True,
                                   label=f"{site.name} fire drill", join=False)

    @command("acknowledge", "Acknowledge the incident on the wall", "alarm", target="alarm")
    def acknowledge(self, incident_id: str | None = None) -> Result:
        cur = self._find(incident_id)
        if cur.acknowledged:
            return Result(f"{cur.incident.id} is already acknowledged")
        self._audit("acknowledge", cur.incident.id, {})
        cur.acknowledged = True
        self._persist()
        self.changed.emit()
        return Result(f"{cur.incident.id} acknowledged")

    @command("add_note", "Add a note to the incident…", "alarm", target="alarm")
    def add_note(self, text: str | None = None, incident_id: str | None = None) -> Result:
        o = self._find(incident_id)
        if text is None:
            host = self.commands.host
            if host is None:
                raise CommandError("No note added")
            text = host.ask_text(f"Note for {o.incident.id} ({self.place_text(o)}):", "")
        text = (text or "").strip()
        if not text:
            raise CommandError("No note added")
        self._audit("note", o.incident.id, {"text": text})
        o.notes.append({"utc": self.now().isoformat(), "text": text})
        self._persist()
        self.changed.emit()
        return Result(f"Note added to {o.incident.id}")

    def _reselect(self, o: OpenIncident, new: Incident) -> None:
        """`o` becomes `new` (another radius or point): select again; on the wall, the cameras
        still selected keep their tiles (and streams), the rest are replaced."""
        o.incident = new
        o.picks = select(self.registry, new)
        if new.id == self.on_wall:
            model = self.commands.model
            view = keep_positions(model.view, o.picks, model.layout.tiles, self._usable)
            self._views_audit(new.id, view)
            self._persist()
            state = model.to_dict()
            state["view"] = view
            model.apply_dict(state)  # same layout, page and selection
        else:
            self._persist()
        self.changed.emit()

    @command("change_radius", "Search radius up / down", "alarm", target="alarm")
    def change_radius(self, step: int) -> Result:
        cur = self._require()
        inc = cur.incident
        new_r = radius_up(inc.radius_m) if step > 0 else radius_down(inc.radius_m)
        if new_r == inc.radius_m:
            end = "largest" if step > 0 else "smallest"
            return Result(f"The radius is already the {end} step ({new_r} m)")
        self._audit("radius", inc.id, {"from_m": inc.radius_m, "to_m": new_r})
        self._reselect(cur, inc.with_radius(new_r))
        note = f" (the point's uncertainty, {inc.uncertainty_m:g} m, is larger)" \
            if inc.uncertainty_m > new_r else ""
        return Result(f"Radius {new_r} m: {len(cur.picks)} camera(s){note}")

    @command("update_incident", "Move an incident or change its radius", "alarm",
             target="alarm")
    def update_incident(self, incident_id: str | None = None, lat: float | None = None,
                        lon: float | None = None, radius_m: float | None = None) -> Result:
        """A new point and/or search radius (a dispatch update); the wall shows the new
        selection, kept cameras keep their tiles."""
        o = self._find(incident_id)
        old = o.incident
        changes: dict[str, Any] = {}
        if lat is not None and lon is not None and (lat, lon) != (old.lat, old.lon):
            changes.update(lat=float(lat), lon=float(lon))
        if radius_m is not None and float(radius_m) != old.radius_m:
            changes["radius_m"] = float(radius_m)
        if not changes:
            return Result(f"{old.id}: nothing changed")
        try:
            new = replace(old, **changes)
        except ValueError as exc:
            raise CommandError(f"Not changed: {exc}") from None
        self._audit("update", old.id, {
            "from": {"lat": old.lat, "lon": old.lon, "radius_m": old.radius_m},
            "to": {"lat": new.lat, "lon": new.lon, "radius_m": new.radius_m}})
        self._reselect(o, new)
        moved = " moved" if "lat" in changes else ""
        return Result(f"{old.id}{moved}: radius {new.search_radius_m:g} m, "
                      f"{len(o.picks)} camera(s)")

    @command("next_incident", "Show the next open incident", "alarm", target="alarm")
    def next_incident(self) -> Result:
        if not self.open:
            raise CommandError("No open incidents")
        ids = [o.incident.id for o in self.open]
        i = ids.index(self.on_wall) if self.on_wall in ids else -1
        o = self.open[(i + 1) % len(ids)]
        if o.incident.id == self.on_wall:
            return Result(f"{o.incident.id} is the only open incident")
        self._show(o)
        return Result(f"{o.incident.id}: {self.place_text(o)} ({len(self.open)} open)")

    @command("show_incident", "Show an open incident on the wall", "alarm", target="alarm")
    def show_incident(self, incident_id: str) -> Result:
        o = self._find(incident_id)
        if o.incident.id != self.on_wall:
            self._show(o)
        return Result(f"{o.incident.id}: {self.place_text(o)} ({len(self.open)} open)")

    @command("clear_incident", "Clear the incident…", "alarm", target="alarm")
    def clear_incident(self, confirmed: bool = False, incident_id: str | None = None) -> Result:
        cur = self._find(incident_id)
        inc = cur.incident
        if not confirmed:
            host: Any = self.commands.host
            question = (f"Clear {'the EXERCISE ' if inc.exercise else ''}{inc.id} at "
                        f"{self.place_text(cur)}? The wall goes back to what it showed "
                        "before.")
            choose = getattr(host, "choose", None)
            if choose is not None:  # clear, or first keep this alarm wall as a saved view
                answer = choose(question, ["Clear", "Save this wall as a view, then clear",
                                           "Cancel"])
                if answer not in (0, 1):
                    raise CommandError("Not cleared")
                if answer == 1:
                    self.commands.save_view_as(
                        name=f"{self.incident_title(cur)}, {inc.raised_at:%d %b %H:%M} UTC")
            elif host is None or not host.confirm(question):
                raise CommandError("Not cleared")
        self._audit("clear", inc.id, {"notes": len(cur.notes),
                                      "acknowledged": cur.acknowledged})
        self.open.remove(cur)
        if inc.id != self.on_wall:  # a listed incident: the wall keeps what it shows
            self._persist()
            self.changed.emit()
            return Result(f"{inc.id} cleared ({len(self.open)} open)")
        if self.open:  # the most urgent remaining incident takes the wall
            nxt = max(self.open, key=lambda o: (o.incident.priority, o.incident.raised_at))
            self._show(nxt)
            return Result(f"{inc.id} cleared; {nxt.incident.id} is on the wall "
                          f"({len(self.open)} open)")
        self._views_audit(inc.id, [])
        self.on_wall = None
        pre = self.store.get(self._pre_key) if self.store is not None else self._pre
        self._persist()
        if isinstance(pre, dict) and isinstance(pre.get("state"), dict):
            self.commands._stop_tour(quiet=True)
            self.commands.apply_state(pre["state"])
            if pre.get("tour") and self.commands.tour is None:
                try:
                    self.commands.toggle_tour()
                except CommandError:
                    pass
        self._pre = None
        if self.store is not None:
            self.store.delete(self._pre_key)
        self.changed.emit()
        return Result(f"{inc.id} cleared: the wall is as it was before")


__all__ = ["AlarmDesk", "AlarmHost", "IncidentNotFound", "OpenIncident", "parse_point",
           "looks_like_point",
           "INCIDENT_KINDS", "PRIORITIES"]
