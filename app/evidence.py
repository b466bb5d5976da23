"""The evidence sheet of an incident: which recorders hold its footage, who can open each one,
when each will overwrite it, and the data for a BSA s.63 certificate (no Qt).

Private recorders overwrite their footage after their retention days, and a recorder inside a
burning mall may be destroyed within hours. The sheet lists one block per recorder (not per
camera: one seizure covers every camera of a recorder), the recorders inside the incident's
site first (they may be lost), then soonest overwrite first.

Where things come from
----------------------
- The incident: the open incidents the wall keeps in its settings (`alarm:open:<wall>` in
  `nazar.sqlite3`, read read-only: exporting never writes to a running wall's files), else
  (cleared) rebuilt from the audit log's rows (raise, radius, update, acknowledge, note, clear).
- The cameras and their reasons: `app.incidents.select` on the incident as it last was, and
  each camera's chip from `AlarmDesk.chip`, the very function that labels the wall's tiles.
  Cameras the alarm put on the wall earlier (audit `view_start`) and no longer selected are
  listed too, marked so.
- The timeline: the incident's audit rows; the viewing table pairs `view_start` and
  `view_stop` rows (cameras the alarm put on and took off the wall).
- Snapshots: `SnapshotWriter`'s PNG + JSON sidecars of the incident's cameras, taken within
  the evidence window. Recordings: `<recordings_dir>/<incident>/recordings.json` (written by
  app/recording.py), each file's SHA-256 checked against it.

Overwrite time
--------------
The worst case: the oldest footage wanted (the evidence window's start) + the declared
retention days. Shown in IST with the weekday, with the hours left at generation time: red
under 72 h, PASSED once gone. An unverified retention is said to be unverified.

The bundle (`export_bundle`)
----------------------------
A new directory, written under a temporary name and renamed when complete:

    sheet.html       the sheet (every registry text escaped; opens in any browser)
    sheet.pdf        the same HTML printed by Qt (QTextDocument -> QPdfWriter) in a separate
                     process, `python -m widgets.evidence_pdf` (app/ stays Qt-free)
    recorders.csv    the recorder table, one row per recorder, in the sheet's order
    handover.json    everything on the sheet as data (format "nazar-evidence/1")
    snapshots/       copies of the snapshots and their JSON sidecars
    recordings/      copies of the recordings (`<camera>/<segment>.mkv`) and recordings.json;
                     with copy_recordings=False they stay where they are, listed by path
    manifest.sha256  "<sha256>  <path>" for every evidence file (snapshots, sidecars,
                     recordings, recordings.json), sorted by path: `sha256sum -c` checks it;
                     its own SHA-256 is the manifest hash printed on the sheet
    SHA256SUMS       the same for the files above (sheet, CSV, JSON, manifest), written last
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app import audit
from app.alarm import KIND_TEXT, AlarmDesk, OpenIncident
from app.commands import WallCommands
from app.geometry import distance_m, point_in_polygon
from app.incidents import PRIORITIES, Incident, Pick, select, site_at
from app.layouts import WallModel
from app.registry import IST, Camera, Recorder, Registry, Site
from app.recording import MANIFEST as RECORDINGS_MANIFEST
from app.recording import default_recordings_dir, safe_name, sha256_file

FORMAT = "nazar-evidence/1"
RED_HOURS = 72.0  # an overwrite sooner than this is shown in red
DEFAULT_PRE_ROLL = timedelta(hours=1)  # the window starts this long before the raise
SETTINGS_FILE = "nazar.sqlite3"  # app.settings.SettingsStore's file in the settings directory
OPEN_KEY_PREFIX = "alarm:open:"  # app.alarm.AlarmDesk's open incidents, one key per wall
PDF_TIMEOUT_S = 120.0
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Filled in by hand on site: printed as blank lines on every recorder block.
FILL_ON_SITE = (
    "Clock offset (recorder minus reference) and the reference clock",
    "Exported by (name, rank or role, organisation)",
    "Export format (native preferred) and file names",
    "SHA-256 of each exported file",
    "Seizure memo (panchnama) number",
    "Witness 1: name, address, signature",
    "Witness 2: name, address, signature",
    "Hand-over 1: from, to, date and time (IST), signatures",
    "Hand-over 2: from, to, date and time (IST), signatures",
    "Hand-over 3: from, to, date and time (IST), signatures",
)
TIMELINE_EVENTS = {"raise": "raised", "acknowledge": "acknowledged", "note": "note",
                   "radius": "search radius changed", "update": "moved / radius changed",
                   "cap": "CAP message", "clear": "cleared"}


class EvidenceError(Exception):
    """The sheet cannot be made; the message says why, for the officer."""


# ---------------------------------------------------------------------------------------------
# Times: IST with English weekday and month names whatever the process locale (Qt sets it)
# ---------------------------------------------------------------------------------------------
def fmt_ist(t: datetime, seconds: bool = False) -> str:
    """"Sun 02 Mar 2025 00:10 IST"."""
    t = t.astimezone(IST)
    clock = f"{t:%H:%M:%S}" if seconds else f"{t:%H:%M}"
    return f"{_WEEKDAYS[t.weekday()]} {t.day:02d} {_MONTHS[t.month - 1]} {t.year} {clock} IST"


def fmt_utc(t: datetime) -> str:
    """"2025-03-01 18:40:00 UTC"."""
    return f"{t.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(timezone.utc).isoformat()


def parse_when(text: str) -> datetime:
    """An ISO 8601 date and time for --from / --to; without a zone it is IST."""
    s = text.strip()
    if s[-1:] in "Zz":
        s = s[:-1] + "+00:00"
    if not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", s):
        raise ValueError(f"'{text[:40]}' is not a date and time: write YYYY-MM-DDTHH:MM (IST) "
                         "or with a zone, e.g. 2025-01-31T09:00Z")
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a date and time") from None
    return t.replace(tzinfo=IST) if t.tzinfo is None or t.utcoffset() is None else t


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _hours(h: float) -> str:
    days, rest = divmod(int(abs(h)), 24)
    return f"{int(abs(h))} h" + (f" ({days} d {rest} h)" if days else "")


# ---------------------------------------------------------------------------------------------
# The incident, from where the wall keeps it
# ---------------------------------------------------------------------------------------------
@dataclass
class IncidentFacts:
    """An incident as it last was, and what the audit log says about it."""

    incident: OpenIncident
    source: str  # where the incident was read: the settings (open) or the audit log
    cleared_at: datetime | None = None
    external_ref: str | None = None
    operator: str | None = None  # who raised it, as the audit log records
    rows: list[audit.AuditRow] | None = None  # the incident's audit rows; None: no log read
    audit_path: Path | None = None
    audit_problems: list[str] = field(default_factory=list)  # audit.verify over the whole log
    audit_note: str = ""  # why there are no rows, when there are none
    audit_head: tuple[int, str] | None = None  # the log's newest row (seq, hash)


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def read_open_incidents(settings_dir: Path) -> list[OpenIncident]:
    """The open incidents every wall keeps in its settings, read without writing anything."""
    path = Path(settings_dir) / SETTINGS_FILE
    if not path.exists():
        return []
    try:
        db = _open_ro(path)
        try:
            found = db.execute("SELECT key, value FROM state WHERE substr(key, 1, ?) = ? "
                               "ORDER BY key", (len(OPEN_KEY_PREFIX), OPEN_KEY_PREFIX)
                               ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise EvidenceError(f"settings file {path} cannot be read: {exc}") from None
    out: list[OpenIncident] = []
    for _key, value in found:
        try:
            saved = json.loads(value)
        except ValueError:
            continue
        for d in saved.get("incidents", []) if isinstance(saved, dict) else []:
            try:
                out.append(OpenIncident.from_dict(d))
            except (KeyError, TypeError, ValueError):
                continue  # one damaged incident does not hide the others (as AlarmDesk)
    return out


def incident_from_audit(rows: list[audit.AuditRow]) -> tuple[OpenIncident, datetime | None]:
    """An incident rebuilt from its audit rows (its raise, then every change), and when it was
    cleared. EvidenceError when there is no raise row or it cannot be read."""
    raised = next((r for r in rows if r.event == "raise"), None)
    if raised is None:
        raise EvidenceError("the audit log has no 'raise' row for it")
    try:
        d = raised.payload
        inc = Incident(id=str(raised.incident_id), lat=d["lat"], lon=d["lon"],
                       kind=d.get("kind", "other"), priority=d.get("priority", 3),
                       note=d.get("note", ""), radius_m=d["radius_m"],
                       uncertainty_m=d.get("uncertainty_m", 0) or 0, site_id=d.get("site_id"),
                       exercise=bool(d.get("exercise")),
                       raised_at=datetime.fromisoformat(raised.utc))
        o = OpenIncident(inc, label=str(d.get("label") or ""))
        cleared: datetime | None = None
        for r in rows:
            p = r.payload
            if r.event == "acknowledge":
                o.acknowledged = True
            elif r.event == "note":
                o.notes.append({"utc": r.utc, "text": str(p.get("text", ""))})
            elif r.event == "radius":
                o.incident = o.incident.with_radius(float(p["to_m"]))
            elif r.event == "update":
                to = p["to"]
                o.incident = replace(o.incident, lat=float(to["lat"]), lon=float(to["lon"]),
                                     radius_m=float(to["radius_m"]))
            elif r.event == "clear":
                cleared = datetime.fromisoformat(r.utc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise EvidenceError(f"the audit log's rows for {raised.incident_id} cannot be read "
                            f"({exc})") from None
    return o, cleared


def _who(row: audit.AuditRow) -> str:
    try:
        op = row.payload.get("operator")
    except (ValueError, AttributeError):
        op = None
    who = f"{row.os_user} on {row.host}"
    return f"{op} ({who})" if op else who


def find_incident(incident_id: str, settings_dir: Path,
                  audit_path: Path | None = None) -> IncidentFacts:
    """The incident `incident_id` from the wall's settings (open) or its audit log
    (cleared), with its audit rows. EvidenceError when neither has it."""
    settings_dir = Path(settings_dir)
    audit_path = Path(audit_path) if audit_path else settings_dir / audit.FILE_NAME
    rows: list[audit.AuditRow] | None = None
    problems: list[str] = []
    note = ""
    head: tuple[int, str] | None = None
    if audit_path.exists():
        try:
            rows = audit.rows(audit_path, incident_id)
            problems = audit.verify(audit_path)
            everything = audit.rows(audit_path)
            head = (everything[-1].seq, everything[-1].hash) if everything else None
        except (audit.AuditError, sqlite3.Error, OSError) as exc:
            rows, note = None, f"the audit log {audit_path} cannot be read: {exc}"
    else:
        note = f"there is no audit log at {audit_path}"
    opened = next((o for o in read_open_incidents(settings_dir)
                   if o.incident.id == incident_id), None)
    cleared: datetime | None = None  # an open incident is not cleared
    if opened is not None:
        source = f"open incident kept in the wall's settings ({settings_dir / SETTINGS_FILE})"
    elif rows:
        opened, cleared = incident_from_audit(rows)
        source = f"rebuilt from the audit log ({audit_path}): not open any more"
    else:
        raise EvidenceError(f"no incident {incident_id[:60]}: it is not open in "
                            f"{settings_dir / SETTINGS_FILE} and "
                            + (f"not in the audit log {audit_path}" if rows is not None
                               else note))
    raised = next((r for r in rows or [] if r.event == "raise"), None)
    ref = None
    for r in rows or []:
        try:
            p = r.payload
        except ValueError:
            continue
        if r.event == "cap" and p.get("result") == "raised":
            ref = f"CAP {p.get('identifier')} from {p.get('sender')}"
            break
    return IncidentFacts(opened, source, cleared, ref, _who(raised) if raised else None,
                         rows, audit_path, problems, note, head)


# ---------------------------------------------------------------------------------------------
# The sheet, as data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    basis: str


def default_window(facts: IncidentFacts, now: datetime, start: datetime | None = None,
                   end: datetime | None = None) -> Window:
    """The evidence window: `start` / `end` as requested, else from 1 h before the raise to
    the clear (or, while the incident is open, to now)."""
    inc = facts.incident.incident
    why = ["from: requested" if start else "from: 1 h before the raise (default)"]
    if end is not None:
        why.append("to: requested")
    elif facts.cleared_at is not None:
        end = facts.cleared_at
        why.append("to: the clear (default)")
    else:
        end = max(now, inc.raised_at)
        why.append("to: the generation of this sheet, the incident being open (default)")
    return Window(start or inc.raised_at - DEFAULT_PRE_ROLL, end, "; ".join(why))


def _wall_desk(registry: Registry, o: OpenIncident) -> tuple[AlarmDesk, OpenIncident]:
    """A desk of its own showing `o`, so that the sheet's place, title and chips come from
    the same code as the wall's (AlarmDesk.place_text, incident_title, chip)."""
    desk = AlarmDesk(WallCommands(WallModel(), registry), registry)
    shown = OpenIncident(o.incident, o.label, o.acknowledged, list(o.notes))
    shown.picks = select(registry, o.incident)
    desk.open.append(shown)
    desk.on_wall = o.incident.id
    return desk, shown


def incident_site(registry: Registry, inc: Incident) -> Site | None:
    sid = inc.site_id if inc.site_id in registry.sites else site_at(registry, inc.lat, inc.lon)
    return registry.sites.get(sid) if sid else None


def _police_station(registry: Registry, inc: Incident, site: Site | None) -> dict:
    if site is not None and site.station in registry.stations:
        st = registry.stations[site.station]
        basis = f"the station of {site.name}"
    else:
        near = [(distance_m(inc.lat, inc.lon, s.location.lat, s.location.lon), s.id, s)
                for s in registry.stations.values() if s.location is not None]
        if not near:
            return {"id": None, "name": "unknown", "phone": None, "basis": "no station located"}
        st = min(near, key=lambda x: (x[0], x[1]))[2]
        basis = "the nearest police station (approximate areas)"
    return {"id": st.id, "name": f"{st.name} PS", "phone": st.phone, "basis": basis}


def _owner(registry: Registry, cam: Camera, rec: Recorder) -> tuple[str | None, str | None]:
    """(site id, station id) the recorder belongs to."""
    if rec.site:
        return rec.site, None
    if rec.station:
        return None, rec.station
    if cam.site:
        return cam.site, None
    return None, cam.station


def recorder_key(registry: Registry, cam: Camera, rec: Recorder) -> str:
    """One recorder, one key: its id, else its owner, room and retention."""
    if rec.id:
        return rec.id
    site, station = _owner(registry, cam, rec)
    owner = f"site:{site}" if site else f"station:{station}"
    return f"{owner}/{rec.room}/{rec.retention_days}d"


def _inside(rec: Recorder, owner_site: str | None, site: Site | None,
            inc: Incident) -> tuple[str, str]:
    """("inside" | "presumed" | "outside" | "n/a", why)."""
    if site is None:
        return "n/a", "the incident is at no registered site"
    loc = rec.location
    if loc is not None and site.footprint:
        poly = [(p.lat, p.lon) for p in site.footprint]
        if point_in_polygon(loc.lat, loc.lon, poly):
            return "inside", (f"INSIDE the incident site: the recorder stands within "
                              f"{site.name}'s footprint and may be lost")
        d = distance_m(inc.lat, inc.lon, loc.lat, loc.lon)
        return "outside", (f"outside {site.name}'s footprint "
                           f"({d:.0f} m from the incident point)")
    if owner_site == site.id:
        why = ("no recorder location in the registry" if loc is None
               else f"{site.name} has no footprint in the registry")
        return "presumed", (f"presumed INSIDE the incident site ({why}): a recorder of "
                            f"{site.name}, it may be lost")
    return "outside", "not a recorder of the incident site"


def _overwrite(rec: Recorder | None, window: Window, now: datetime) -> dict:
    if rec is None:
        return {"at_utc": None, "at_ist": None, "last_at_ist": None, "hours_left": None,
                "status": "unknown", "verified": False, "text": "unknown: no recorder in the "
                "registry: ask the owner at once", "short": "unknown (no recorder)",
                "retention": "unknown"}
    at = window.start + timedelta(days=rec.retention_days)
    last = window.end + timedelta(days=rec.retention_days)
    hours = (at - now).total_seconds() / 3600.0
    status = "passed" if hours <= 0 else "red" if hours < RED_HOURS else "ok"
    if status == "passed":
        short = f"PASSED {_hours(hours)} ago ({fmt_ist(at)})"
        text = (f"PASSED {_hours(hours)} ago: footage from the window's start may be "
                f"overwritten since {fmt_ist(at)}; "
                + ("the whole window may be gone" if last <= now
                   else f"the rest goes from then until {fmt_ist(last)}"))
    else:
        text = short = f"{fmt_ist(at)}, {_hours(hours)} left"
    verified = rec.retention_verified_at is not None
    if verified:
        assert rec.retention_verified_at is not None
        ago = (window.start.astimezone(IST).date() - rec.retention_verified_at).days
        when = (f"{ago} days before the window" if ago >= 0
                else f"{-ago} days after the window's start")
        retention = (f"{rec.retention_days} days, verified "
                     f"{rec.retention_verified_at.isoformat()} ({when})")
    else:
        retention = (f"{rec.retention_days} days as declared, NOT VERIFIED: the footage may be "
                     "overwritten sooner")
        text += " (retention not verified)"
        short += " (retention not verified)"
    return {"at_utc": _iso(at), "at_ist": fmt_ist(at), "last_at_ist": fmt_ist(last),
            "hours_left": round(hours, 1), "status": status, "verified": verified,
            "text": text, "short": short, "retention": retention}


def _contact(registry: Registry, site_id: str | None, station_id: str | None) -> dict:
    site = registry.sites.get(site_id) if site_id else None
    if site is not None:
        return {"site_id": site.id, "site": site.name, "owner": site.owner,
                "contact_name": site.contact.name, "contact_phone": site.contact.phone,
                "address": site.address}
    st = registry.stations.get(station_id) if station_id else None
    if st is not None:
        return {"site_id": None, "site": f"{st.name} PS", "owner": "Kolkata Police",
                "contact_name": f"{st.name} PS (duty officer)", "contact_phone": st.phone,
                "address": None}
    return {"site_id": site_id, "site": site_id or station_id or "unknown", "owner": None,
            "contact_name": None, "contact_phone": None, "address": None}


def _camera_row(cam: Camera, pick: Pick | None, rank: int | None, chip: str) -> dict:
    return {"id": cam.id, "number": cam.number, "name": cam.name, "level": cam.level,
            "rank": rank, "chip": chip,
            "reason": pick.reason if pick else "viewed during the incident",
            "tier": pick.tier if pick else None,
            "distance_m": pick.distance_m if pick else None,
            "bearing_from_incident_deg": pick.bearing_from_incident_deg if pick else None,
            "access": cam.access, "selected": pick is not None}


def _recorder_block(registry: Registry, key: str, rec: Recorder | None, cams: list[dict],
                    first: Camera, site: Site | None, inc: Incident, window: Window,
                    now: datetime) -> dict:
    if rec is None:
        contact = _contact(registry, first.site, None if first.site else first.station)
        return {"key": key, "id": None, **contact, "building": None, "level": None,
                "room": None, "location": None, "make": None, "model": None, "serial": None,
                "retention_days": None, "retention_verified_at": None,
                "clock_offset_s": None, "clock_checked_at": None,
                "inside_site": "n/a", "inside_text": "no recorder in the registry",
                "overwrite": _overwrite(None, window, now), "cameras": cams}
    owner_site, owner_station = _owner(registry, first, rec)
    flag, why = _inside(rec, owner_site, site, inc)
    return {"key": key, "id": rec.id, **_contact(registry, owner_site, owner_station),
            "building": rec.building, "level": rec.level, "room": rec.room,
            "location": [rec.location.lat, rec.location.lon] if rec.location else None,
            "make": rec.make, "model": rec.model, "serial": rec.serial,
            "retention_days": rec.retention_days,
            "retention_verified_at": (rec.retention_verified_at.isoformat()
                                      if rec.retention_verified_at else None),
            "clock_offset_s": rec.clock_offset_s,
            "clock_checked_at": (fmt_ist(rec.clock_checked_at) if rec.clock_checked_at
                                 else None),
            "inside_site": flag, "inside_text": why,
            "overwrite": _overwrite(rec, window, now), "cameras": cams}


def _sort_key(block: dict) -> tuple:
    at = block["overwrite"]["at_utc"]
    return (0 if block["inside_site"] in ("inside", "presumed") else 1,
            1 if at is None else 0, at or "", block["key"])


def recorder_blocks(registry: Registry, facts: IncidentFacts, window: Window,
                    now: datetime) -> tuple[list[dict], AlarmDesk, OpenIncident]:
    """One block per recorder holding the incident's cameras, in the sheet's order."""
    desk, shown = _wall_desk(registry, facts.incident)
    inc = shown.incident
    site = incident_site(registry, inc)
    groups: dict[str, tuple[Recorder | None, Camera, list[dict]]] = {}

    def add(cam: Camera, row: dict) -> None:
        rec = cam.recorder
        key = recorder_key(registry, cam, rec) if rec else \
            f"none:{cam.site or 'station:' + cam.station}"
        groups.setdefault(key, (rec, cam, []))[2].append(row)

    for rank, pick in enumerate(shown.picks, start=1):
        cam = registry.cameras.get(pick.camera_id)
        if cam is not None:
            add(cam, _camera_row(cam, pick, rank, desk.chip(pick.camera_id)))
    picked = {p.camera_id for p in shown.picks}
    for cid in viewed_cameras(facts.rows or []):
        cam = registry.cameras.get(cid)
        if cid not in picked and cam is not None:
            add(cam, _camera_row(cam, None, None, "viewed during the incident, not in the "
                                 "last selection"))
    blocks = [_recorder_block(registry, key, rec, cams, first, site, inc, window, now)
              for key, (rec, first, cams) in groups.items()]
    blocks.sort(key=_sort_key)
    for i, b in enumerate(blocks, start=1):
        b["order"] = i
    return blocks, desk, shown


def viewed_cameras(rows: Iterable[audit.AuditRow]) -> list[str]:
    seen: dict[str, None] = {}
    for r in rows:
        if r.event == "view_start":
            try:
                cid = r.payload.get("camera")
            except ValueError:
                continue
            if isinstance(cid, str):
                seen.setdefault(cid, None)
    return list(seen)


def timeline(facts: IncidentFacts, now: datetime) -> dict:
    """The incident's audit rows as events, and who viewed which camera for how long."""
    if facts.rows is None:
        return {"available": False, "note": facts.audit_note or "no audit log", "events": [],
                "views": [], "view_note": ""}
    events: list[dict[str, Any]] = []
    views: list[dict[str, Any]] = []
    open_views: dict[str, dict[str, Any]] = {}
    for r in facts.rows:
        try:
            p = r.payload
        except ValueError:
            p = {}
        t = datetime.fromisoformat(r.utc)
        if r.event in ("view_start", "view_stop"):
            cid = str(p.get("camera", "?"))
            if r.event == "view_start":
                v: dict[str, Any] = {"camera": cid, "who": _who(r), "start_ist": fmt_ist(t, True),
                     "start_utc": r.utc, "stop_ist": None, "stop_utc": None, "seconds": None,
                     "until": "", "seq": r.seq}
                open_views[cid] = v
                views.append(v)
            elif cid in open_views:
                v = open_views.pop(cid)
                v.update(stop_ist=fmt_ist(t, True), stop_utc=r.utc, seconds=round(
                    (t - datetime.fromisoformat(v["start_utc"])).total_seconds(), 3))
            continue
        events.append({"seq": r.seq, "utc": r.utc, "ist": fmt_ist(t, True), "event": r.event,
                       "what": TIMELINE_EVENTS.get(r.event, r.event), "who": _who(r),
                       "details": _details(r.event, p), "hash": r.hash})
    end = facts.cleared_at or now
    for v in open_views.values():
        start = datetime.fromisoformat(v["start_utc"])
        v["seconds"] = round(max(0.0, (end - start).total_seconds()), 3)
        v["until"] = ("no stop row: counted to the clear" if facts.cleared_at
                      else "still on the wall: counted to the generation of this sheet")
    for v in views:
        v["duration"] = _duration(v["seconds"]) if v["seconds"] is not None else ""
    return {"available": True, "note": "", "events": events, "views": views,
            "view_note": ("view rows record the cameras the alarm put on the wall and took "
                          "off it (raise, radius change, clear); a camera opened by hand "
                          "during the incident is not in the audit log")}


def _details(event: str, p: dict) -> str:
    if event == "raise":
        what = ("EXERCISE " if p.get("exercise") else "") + KIND_TEXT.get(
            str(p.get("kind")), "INCIDENT")
        bits = [f"{what}, priority {p.get('priority')}", f"radius {p.get('radius_m')} m",
                f"at {p.get('lat')}, {p.get('lon')}"]
        if p.get("site_id"):
            bits.append(f"site {p.get('site_id')}")
        if p.get("label"):
            bits.append(str(p.get("label")))
        if p.get("note"):
            bits.append(f"note: {p.get('note')}")
        return "; ".join(bits)
    if event == "note":
        return str(p.get("text", ""))
    if event == "radius":
        return f"{p.get('from_m')} m -> {p.get('to_m')} m"
    if event == "update":
        f, t = p.get("from") or {}, p.get("to") or {}
        return (f"from {f.get('lat')}, {f.get('lon')} (R {f.get('radius_m')} m) to "
                f"{t.get('lat')}, {t.get('lon')} (R {t.get('radius_m')} m)")
    if event == "cap":
        return (f"{p.get('msg_type', '')} {p.get('status', '')}: {p.get('result', '')} "
                f"({p.get('sender', '')}, {p.get('identifier', '')})").strip()
    if event == "clear":
        return (f"{p.get('notes', 0)} note(s); "
                f"{'acknowledged' if p.get('acknowledged') else 'never acknowledged'}")
    return ""


# ---------------------------------------------------------------------------------------------
# Snapshots and recordings
# ---------------------------------------------------------------------------------------------
def _copy_hashing(src: Path, dst: Path) -> tuple[str, int]:
    """Copy src to dst, reading it once: (SHA-256 of what was read, bytes)."""
    h = hashlib.sha256()
    n = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        for chunk in iter(lambda: fi.read(1 << 20), b""):
            h.update(chunk)
            fo.write(chunk)
            n += len(chunk)
        fo.flush()
        os.fsync(fo.fileno())
    shutil.copystat(src, dst)
    return h.hexdigest(), n


def find_snapshots(snapshot_dir: Path | None, cameras: set[str], window: Window) -> list[dict]:
    """Snapshots (SnapshotWriter's PNG + JSON sidecar) of `cameras` taken within the
    window, oldest first."""
    if snapshot_dir is None or not Path(snapshot_dir).is_dir():
        return []
    out = []
    for side in sorted(Path(snapshot_dir).glob("*.json")):
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
            cid = meta["camera"]["id"]
            t = datetime.fromisoformat(meta["time"])
            image = str(meta["image"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if t.tzinfo is None:
            t = t.astimezone()  # SnapshotWriter writes local time with its offset
        png = side.parent / image
        if (cid in cameras and window.start <= t <= window.end and Path(image).name == image
                and png.is_file()):
            out.append({"camera": cid, "time": t, "image": png, "sidecar": side,
                        "operator": str(meta.get("operator", ""))})
    out.sort(key=lambda s: (s["time"], s["image"].name))
    return out


def read_recordings(recordings_dir: Path | None, incident_id: str) -> dict:
    """`<recordings_dir>/<incident>/recordings.json` as {"dir", "manifest", "files",
    "problems", "note"}; the files are checked later, when they are copied or hashed."""
    if recordings_dir is None:
        return {"dir": None, "manifest": None, "files": [], "problems": [],
                "note": "no recordings (no recordings directory given)"}
    inc_dir = Path(recordings_dir) / safe_name(incident_id)
    manifest = inc_dir / RECORDINGS_MANIFEST
    if not manifest.is_file():
        return {"dir": inc_dir, "manifest": None, "files": [], "problems": [],
                "note": f"no recordings ({manifest} does not exist)"}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        files = data["files"]
        if not isinstance(files, list):
            raise TypeError("'files' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return {"dir": inc_dir, "manifest": manifest, "files": [], "note": "",
                "problems": [f"{manifest} cannot be read: {exc}"]}
    problems = []
    if data.get("incident") not in (None, incident_id):
        problems.append(f"{manifest} names incident {str(data.get('incident'))[:60]}, "
                        f"not {incident_id}")
    good = []
    for i, f in enumerate(files, start=1):
        rel = f.get("path") if isinstance(f, dict) else None
        parts = Path(rel).parts if isinstance(rel, str) else ()
        if not parts or Path(rel).is_absolute() or ".." in parts:  # type: ignore[arg-type]
            problems.append(f"{manifest}: entry {i} has no usable relative path "
                            f"({str(rel)[:80]!r}): skipped")
            continue
        good.append(f)
    return {"dir": inc_dir, "manifest": manifest, "files": good, "problems": problems,
            "note": ""}


# ---------------------------------------------------------------------------------------------
# The sheet
# ---------------------------------------------------------------------------------------------
def build_sheet(registry: Registry, facts: IncidentFacts, *, now: datetime,
                window: Window | None = None, media: dict | None = None,
                manifest: dict | None = None) -> dict:
    """Everything on the sheet, as JSON-ready data (handover.json). `media` and `manifest`
    come from `export_bundle`; without them the sheet says there are none."""
    now = now.astimezone(timezone.utc)
    window = window or default_window(facts, now)
    blocks, desk, shown = recorder_blocks(registry, facts, window, now)
    inc = shown.incident
    site = incident_site(registry, inc)
    media = media or {"snapshots": [], "recordings": [], "recordings_note": "no recordings",
                      "problems": []}
    kind = ("EXERCISE " if inc.exercise else "") + KIND_TEXT.get(inc.kind, "INCIDENT")
    sheet = {
        "format": FORMAT,
        "generated": {"utc": _iso(now), "ist": fmt_ist(now, True), "by": "Nazar"},
        "incident": {
            "id": inc.id, "external_ref": facts.external_ref, "title": desk.incident_title(shown),
            "kind": inc.kind, "type": kind, "exercise": inc.exercise,
            "priority": inc.priority, "priority_text": PRIORITIES.get(inc.priority, ""),
            "place": desk.place_text(shown), "label": shown.label,
            "site": ({"id": site.id, "name": site.name, "owner": site.owner,
                      "contact_name": site.contact.name, "contact_phone": site.contact.phone,
                      "address": site.address, "footprint": bool(site.footprint)}
                     if site else None),
            "station": _police_station(registry, inc, site),
            "lat": inc.lat, "lon": inc.lon, "radius_m": inc.radius_m,
            "uncertainty_m": inc.uncertainty_m, "search_radius_m": inc.search_radius_m,
            "raised_at_utc": _iso(inc.raised_at), "raised_at_ist": fmt_ist(inc.raised_at, True),
            "raised_at_utc_text": fmt_utc(inc.raised_at),
            "operator": facts.operator or "not recorded (no audit row for the raise)",
            "acknowledged": shown.acknowledged, "note": inc.note,
            "cleared_at_utc": _iso(facts.cleared_at),
            "cleared_at_ist": fmt_ist(facts.cleared_at, True) if facts.cleared_at else None,
            "source": facts.source, "cameras_selected": len(shown.picks),
        },
        "window": {"from_utc": _iso(window.start), "to_utc": _iso(window.end),
                   "from_ist": fmt_ist(window.start), "to_ist": fmt_ist(window.end),
                   "basis": window.basis},
        "registry": {"path": str(registry.path) if registry.path else None,
                     "sha256": (sha256_file(registry.path)
                                if registry.path and Path(registry.path).is_file() else None)},
        "recorders": blocks,
        "fill_on_site": list(FILL_ON_SITE),
        "certificate": _certificate(blocks, media),
        "timeline": timeline(facts, now),
        "audit": {"path": str(facts.audit_path) if facts.audit_path else None,
                  "problems": facts.audit_problems,
                  "chain": ("not read" if facts.rows is None else
                            "intact" if not facts.audit_problems else
                            f"{len(facts.audit_problems)} problem(s)"),
                  "head_seq": facts.audit_head[0] if facts.audit_head else None,
                  "head_hash": facts.audit_head[1] if facts.audit_head else None},
        "snapshots": media["snapshots"],
        "recordings": media["recordings"],
        "recordings_note": media["recordings_note"],
        "problems": list(media["problems"]),
        "manifest": manifest or {"file": None, "sha256": None, "entries": 0},
    }
    return sheet


def _certificate(blocks: list[dict], media: dict) -> dict:
    devices = []
    for b in blocks:
        if b["room"] is None:
            continue
        where = ", ".join(x for x in (b["building"], b["level"] and f"level {b['level']}",
                                      b["room"]) if x)
        devices.append({"recorder": b["id"] or f"{b['site']}, {b['room']}", "make": b["make"],
                        "model": b["model"], "serial": b["serial"], "location": where,
                        "in_control_of": ", ".join(x for x in (b["owner"], b["site"]) if x),
                        "cameras": [c["id"] for c in b["cameras"]],
                        "hash_algorithm": "SHA-256", "hash": None})
    nazar = {"device": f"Nazar video wall console {socket.gethostname()} (copies each camera's "
                       "stream packets into Matroska files, not re-encoded)",
             "files": [{"path": r["bundle_path"] or r["source_path"], "camera": r["camera"],
                        "sha256": r["sha256_now"] or r["sha256_listed"]}
                       for r in media["recordings"]],
             "hash_algorithm": "SHA-256"}
    return {"section": "Bharatiya Sakshya Adhiniyam, 2023, s.63: certificate data",
            "recorders": devices, "nazar": nazar}


# ---------------------------------------------------------------------------------------------
# Renderings: text (tests, terminal), HTML (+ PDF), CSV
# ---------------------------------------------------------------------------------------------
INSIDE_WORDS = {"inside": "INSIDE THE SITE", "presumed": "PRESUMED INSIDE THE SITE",
                "outside": "", "n/a": ""}


def _flag(b: dict) -> str:
    s = b["overwrite"]["status"]
    return {"passed": "PASSED", "red": "UNDER 72 H", "ok": "", "unknown": "UNKNOWN"}[s]


def _camera_line(c: dict) -> str:
    rank = f"#{c['rank']}" if c["rank"] else "--"
    dist = f"{c['distance_m']:.1f} m" if c["distance_m"] is not None else "-"
    return f"{rank:>4} {c['id']} (no. {c['number']}) {c['name']}: {c['chip']} [{dist}]"


def render_text(sheet: dict) -> str:
    """A plain-text rendering of everything but the blank fields: for a terminal, a diff and
    the golden test."""
    i, w = sheet["incident"], sheet["window"]
    out = [f"EVIDENCE SHEET {i['id']}  ({sheet['format']})",
           f"generated: {sheet['generated']['ist']} ({sheet['generated']['utc']})",
           f"incident: {i['type']} at {i['place']}; priority {i['priority']}",
           f"external reference: {i['external_ref'] or 'none'}",
           f"site: {i['site']['name'] if i['site'] else 'none'}; police station: "
           f"{i['station']['name']} ({i['station']['basis']})",
           f"raised: {i['raised_at_ist']} / {i['raised_at_utc_text']} by {i['operator']}",
           f"cleared: {i['cleared_at_ist'] or 'still open'}",
           f"point: {i['lat']:.5f}, {i['lon']:.5f}; search radius {i['search_radius_m']:g} m; "
           f"{i['cameras_selected']} camera(s) selected",
           f"evidence window: {w['from_ist']} to {w['to_ist']} ({w['basis']})",
           f"from: {i['source'].split(' (')[0]}",
           ""]
    for b in sheet["recorders"]:
        o = b["overwrite"]
        flags = ", ".join(x for x in (_flag(b), INSIDE_WORDS[b["inside_site"]]) if x)
        out.append(f"[{b['order']}] {b['site']} / {b['room'] or 'no recorder'}"
                   + (f"  <{b['id']}>" if b["id"] else "") + (f"  ** {flags} **" if flags
                                                             else ""))
        out.append(f"    owner: {b['owner']}; 24x7: {b['contact_name']}, {b['contact_phone']}")
        out.append(f"    where: {b['building'] or '-'}, level {b['level'] or '-'}, "
                   f"{b['room'] or '-'}; {b['inside_text']}")
        out.append(f"    device: {b['make'] or '____'} {b['model'] or '____'}, serial "
                   f"{b['serial'] or '____'}")
        out.append(f"    retention: {o['retention']}")
        out.append(f"    overwrite at: {o['text']}")
        if b["clock_offset_s"] is not None:
            out.append(f"    clock: {b['clock_offset_s']:+g} s, checked {b['clock_checked_at']}")
        for c in b["cameras"]:
            out.append("    " + _camera_line(c))
    out.append("")
    out.append("snapshots:" + ("" if sheet["snapshots"] else " none in the window"))
    for s in sheet["snapshots"]:
        out.append(f"    {s['bundle_path']} {s['camera']} {s['time_ist']} sha256 {s['sha256']}")
    out.append("recordings:" + ("" if sheet["recordings"] else f" {sheet['recordings_note']}"))
    for r in sheet["recordings"]:
        out.append(f"    {r['bundle_path'] or r['source_path']} {r['camera']} {r['status']} "
                   f"sha256 {r['sha256_now'] or '-'}")
    for p in sheet["problems"]:
        out.append(f"PROBLEM: {p}")
    m = sheet["manifest"]
    out.append(f"manifest: {m['file'] or 'none'} ({m['entries']} files) sha256 {m['sha256']}")
    t = sheet["timeline"]
    out.append("timeline:" + ("" if t["available"] else f" {t['note']}"))
    for e in t["events"]:
        out.append(f"    {e['event']}" + (f": {e['details']}" if e["details"] else ""))
    out.append(f"views: {len(t['views'])}")
    return "\n".join(out) + "\n"


def _e(value: Any) -> str:
    """Registry (or any) text for HTML: always escaped, never markup."""
    return html.escape("" if value is None else str(value), quote=True)


_CSS = """
body { font-family: 'DejaVu Sans', 'Noto Sans', sans-serif; font-size: 9pt; color: #000; }
h1 { font-size: 15pt; margin-bottom: 2px; }
h2 { font-size: 12pt; margin-top: 14px; margin-bottom: 4px; }
h3 { font-size: 10pt; margin-top: 8px; margin-bottom: 2px; }
table { border-collapse: collapse; }
th { background-color: #e8e8e8; text-align: left; }
td, th { padding: 3px; vertical-align: top; }
.red { color: #b00000; font-weight: bold; }
.passed { color: #ffffff; background-color: #b00000; font-weight: bold; }
.inside { color: #000000; background-color: #ffd24d; font-weight: bold; }
.exercise { color: #ffffff; background-color: #1f4e9c; font-weight: bold; }
.blank { color: #777777; }
.small { font-size: 8pt; color: #333333; }
.mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; }
"""


def _kv_table(rows: Iterable[tuple[str, str]], label_width: int = 28) -> str:
    """Rows of (label, HTML already escaped)."""
    body = "".join(f"<tr><th width='{label_width}%'>{_e(k)}</th><td>{v}</td></tr>"
                   for k, v in rows)
    return f"<table border='1' cellspacing='0' cellpadding='3' width='100%'>{body}</table>"


def _or_blank(value: Any, blank: str = "____________ (not in the registry)") -> str:
    return _e(value) if value not in (None, "") else f"<span class='blank'>{_e(blank)}</span>"


def _overwrite_html(b: dict, key: str = "text") -> str:
    o = b["overwrite"]
    if o["status"] == "passed":
        return f"<span class='passed'>&nbsp;{_e(o[key])}&nbsp;</span>"
    if o["status"] in ("red", "unknown"):
        return f"<span class='red'>{_e(o[key])}</span>"
    return _e(o[key])


def _inside_html(b: dict, short: bool = False) -> str:
    text = (INSIDE_WORDS[b["inside_site"]] or b["inside_site"]) if short else b["inside_text"]
    if b["inside_site"] in ("inside", "presumed"):
        return f"<span class='inside'>&nbsp;{_e(text)}&nbsp;</span>"
    return _e(text)


def render_html(sheet: dict) -> str:
    """The sheet as one HTML document (UTF-8, no scripts, no external resources): for a
    browser and for Qt's printing (QTextDocument's HTML subset)."""
    i, w = sheet["incident"], sheet["window"]
    p: list[str] = []
    title = f"Evidence sheet {i['id']}"
    p.append(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
             f"<style>{_CSS}</style></head><body>")
    if i["exercise"]:
        p.append("<p class='exercise'>&nbsp;EXERCISE: not a real incident&nbsp;</p>")
    p.append(f"<h1>Evidence sheet: {_e(i['id'])}</h1>")
    p.append(f"<p><b>{_e(i['title'])}</b></p>")
    station = i["station"]
    site = i["site"]
    p.append(_kv_table([
        ("Incident", _e(i["id"])),
        ("External reference", _or_blank(i["external_ref"], "none")),
        ("Type", _e(f"{i['type']} (priority {i['priority']}: {i['priority_text']})")),
        ("Place", _e(i["place"]) + (f" ({_e(site['address'])})" if site else "")),
        ("Police station", _e(f"{station['name']}") + (f", {_e(station['phone'])}"
                                                       if station.get("phone") else "")
         + f" <span class='small'>({_e(station['basis'])})</span>"),
        ("Point and radius", _e(f"{i['lat']:.5f}, {i['lon']:.5f}; search radius "
                                f"{i['search_radius_m']:g} m; {i['cameras_selected']} "
                                "camera(s) selected")),
        ("Raised at", _e(f"{i['raised_at_ist']} ({i['raised_at_utc_text']})")),
        ("Operator", _e(i["operator"])),
        ("Acknowledged", _e("yes" if i["acknowledged"] else "no")),
        ("Cleared at", _e(i["cleared_at_ist"] or "still open")),
        ("Evidence window", _e(f"from {w['from_ist']} to {w['to_ist']}")
         + f" <span class='small'>({_e(w['basis'])})</span>"),
        ("Generated", _e(f"{sheet['generated']['ist']} ({sheet['generated']['utc']})")),
        ("Manifest hash (SHA-256)",
         f"<span class='mono'>{_or_blank(sheet['manifest']['sha256'], 'no manifest')}</span>"),
    ]))
    # Summary
    p.append("<h2>Recorders, in the order to act</h2>")
    p.append("<p class='small'>Recorders inside the incident site first (they may be lost), "
             "then soonest overwrite first. Overwrite at = the window's start + the retention "
             f"days (worst case); red under {RED_HOURS:g} h.</p>")
    rows = ["<tr><th>#</th><th>Site / owner</th><th>Recorder</th><th>Overwrite at</th>"
            "<th>Inside the site</th><th>Cameras</th></tr>"]
    for b in sheet["recorders"]:
        rows.append(f"<tr><td>{b['order']}</td><td>{_e(b['site'])}</td>"
                    f"<td>{_e(b['room'] or 'no recorder in the registry')}</td>"
                    f"<td>{_overwrite_html(b, 'short')}</td><td>{_inside_html(b, True)}</td>"
                    f"<td>{len(b['cameras'])}</td></tr>")
    p.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
             + "".join(rows) + "</table>")
    # Blocks
    for b in sheet["recorders"]:
        # one recorder per page: the page an officer takes to that recorder
        p.append(f"<h2 style='page-break-before: always'>{b['order']}. {_e(b['site'])}: "
                 f"{_e(b['room'] or 'no recorder')}"
                 + (f" ({_e(b['id'])})" if b["id"] else "") + "</h2>")
        o = b["overwrite"]
        p.append(_kv_table([
            ("Overwrite at", _overwrite_html(b)),
            ("Inside the incident site", _inside_html(b)),
            ("Site and owner", _e(", ".join(x for x in (b["site"], b["owner"]) if x))),
            ("24x7 contact", _or_blank(", ".join(x for x in (b["contact_name"],
                                                              b["contact_phone"]) if x))),
            ("Address", _or_blank(b["address"], "-")),
            ("Where the recorder is", _e(", ".join(x for x in (
                b["building"], b["level"] and f"level {b['level']}", b["room"]) if x)
                or "unknown")),
            ("Make / model / serial", " / ".join(_or_blank(b[k], "____________")
                                                 for k in ("make", "model", "serial"))),
            ("Retention", _e(o["retention"])),
            ("Clock offset (registry)",
             _e(f"{b['clock_offset_s']:+g} s, checked {b['clock_checked_at']}")
             if b["clock_offset_s"] is not None else _or_blank(None, "not checked")),
        ]))
        cams = ["<tr><th>Rank</th><th>Camera</th><th>Level</th><th>Reason (as on the wall)"
                "</th><th>Distance</th></tr>"]
        for c in b["cameras"]:
            dist = f"{c['distance_m']:.1f} m" if c["distance_m"] is not None else "-"
            cams.append(f"<tr><td>{_e(c['rank'] or '-')}</td><td>{_e(c['id'])} "
                        f"(no. {_e(c['number'])}): {_e(c['name'])}</td>"
                        f"<td>{_e(c['level'] or '-')}</td><td>{_e(c['chip'])}</td>"
                        f"<td>{_e(dist)}</td></tr>")
        p.append("<h3>Cameras on this recorder</h3>"
                 "<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                 + "".join(cams) + "</table>")
        p.append("<h3>To fill in on site</h3>")
        p.append(_kv_table(((f, "<br/>&nbsp;") for f in sheet["fill_on_site"]), 45))
    # Certificate
    cert = sheet["certificate"]
    p.append(f"<h2 style='page-break-before: always'>{_e(cert['section'])}</h2>")
    p.append("<p class='small'>Device data for the certificate, pre-filled where the registry "
             "knows it. The hash of each export is written in on site.</p>")
    for n, d in enumerate(cert["recorders"], start=1):
        p.append(f"<h3>Device {n}: {_e(d['recorder'])}</h3>")
        p.append(_kv_table([
            ("Make", _or_blank(d["make"], "____________")),
            ("Model", _or_blank(d["model"], "____________")),
            ("Serial number", _or_blank(d["serial"], "____________")),
            ("Where the device is", _e(d["location"])),
            ("In the lawful control of", _e(d["in_control_of"])),
            ("Cameras recorded", _e(", ".join(d["cameras"]))),
            ("Hash algorithm", _e(d["hash_algorithm"])),
            ("Hash of each exported file", "<br/>&nbsp;"),
        ]))
    nz = cert["nazar"]
    p.append(f"<h3>Nazar's own recordings</h3><p>Device: {_e(nz['device'])}. Hash: "
             f"{_e(nz['hash_algorithm'])}.</p>")
    p.append(_media_html(sheet))
    # Timeline
    t = sheet["timeline"]
    p.append("<h2>Timeline (audit log)</h2>")
    a = sheet["audit"]
    if not t["available"]:
        p.append(f"<p>{_e(t['note'])}</p>")
    else:
        p.append(f"<p class='small'>Audit log {_e(a['path'])}: chain {_e(a['chain'])}; newest "
                 f"row seq {_e(a['head_seq'])}, hash <span class='mono'>{_e(a['head_hash'])}"
                 "</span></p>")
        for prob in a["problems"]:
            p.append(f"<p class='red'>{_e(prob)}</p>")
        rows = ["<tr><th>Time (IST)</th><th>Event</th><th>Details</th><th>Who</th></tr>"]
        for e in t["events"]:
            rows.append(f"<tr><td>{_e(e['ist'])}</td><td>{_e(e['what'])}</td>"
                        f"<td>{_e(e['details'])}</td><td>{_e(e['who'])}</td></tr>")
        p.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                 + "".join(rows) + "</table>")
        p.append(f"<h3>Who viewed which camera, for how long</h3><p class='small'>"
                 f"{_e(t['view_note'])}</p>")
        rows = ["<tr><th>Camera</th><th>From (IST)</th><th>To (IST)</th><th>For</th>"
                "<th>Who</th></tr>"]
        for v in t["views"]:
            rows.append(f"<tr><td>{_e(v['camera'])}</td><td>{_e(v['start_ist'])}</td>"
                        f"<td>{_e(v['stop_ist'] or v['until'])}</td><td>{_e(v['duration'])}"
                        f"</td><td>{_e(v['who'])}</td></tr>")
        p.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                 + "".join(rows) + "</table>")
    reg = sheet["registry"]
    p.append(f"<p class='small'>Registry: {_e(reg['path'])}, SHA-256 <span class='mono'>"
             f"{_e(reg['sha256'])}</span>. Incident read from: {_e(i['source'])}. Generated "
             f"by Nazar ({_e(sheet['format'])}).</p>")
    p.append("</body></html>")
    return "\n".join(p)


def _media_html(sheet: dict) -> str:
    p = ["<h3>Recordings</h3>"]
    if not sheet["recordings"]:
        p.append(f"<p>{_e(sheet['recordings_note'])}</p>")
    else:
        rows = ["<tr><th>File</th><th>Camera</th><th>From / to (IST)</th><th>Bytes</th>"
                "<th>SHA-256</th><th>Check</th></tr>"]
        for r in sheet["recordings"]:
            check = _e(r["status"])
            if r["status"] != "ok":
                check = f"<span class='red'>{check}</span>"
            rows.append(f"<tr><td>{_e(r['bundle_path'] or r['source_path'])}</td>"
                        f"<td>{_e(r['camera'])}</td><td>{_e(r['start_ist'])} to "
                        f"{_e(r['end_ist'])}</td><td>{_e(r['bytes'])}</td>"
                        f"<td class='mono'>{_e(r['sha256_now'] or '-')}</td>"
                        f"<td>{check}</td></tr>")
        p.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                 + "".join(rows) + "</table>")
    p.append("<h3>Snapshots</h3>")
    if not sheet["snapshots"]:
        p.append("<p>No snapshot of the incident's cameras within the window.</p>")
    else:
        rows = ["<tr><th>File</th><th>Camera</th><th>Taken (IST)</th><th>By</th>"
                "<th>SHA-256</th></tr>"]
        for s in sheet["snapshots"]:
            rows.append(f"<tr><td>{_e(s['bundle_path'])}</td><td>{_e(s['camera'])}</td>"
                        f"<td>{_e(s['time_ist'])}</td><td>{_e(s['operator'])}</td>"
                        f"<td class='mono'>{_e(s['sha256'])}</td></tr>")
        p.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
                 + "".join(rows) + "</table>")
    for prob in sheet["problems"]:
        p.append(f"<p class='red'>{_e(prob)}</p>")
    m = sheet["manifest"]
    p.append(f"<p>Manifest {_e(m['file'] or 'none')}: {_e(m['entries'])} file(s); SHA-256 "
             f"<span class='mono'>{_e(m['sha256'] or '-')}</span> (sha256sum -c "
             f"{_e(m['file'] or 'manifest.sha256')} checks every file)</p>")
    return "".join(p)


CSV_COLUMNS = ("order", "inside_site", "overwrite_at_ist", "overwrite_at_utc", "hours_left",
               "status", "retention_days", "retention_verified_at", "recorder_id", "site",
               "owner", "contact_name", "contact_phone", "building", "level", "room", "make",
               "model", "serial", "clock_offset_s", "clock_checked_at", "cameras")


def _cell(value: Any) -> str:
    """Registry text for a spreadsheet: a cell that starts like a formula gets a leading
    apostrophe, so that no spreadsheet runs it."""
    s = "" if value is None else str(value)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def render_csv(sheet: dict) -> str:
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\r\n")
    wr.writerow(CSV_COLUMNS)
    for b in sheet["recorders"]:
        o = b["overwrite"]
        cams = "; ".join(f"{c['id']} ({c['chip']})" for c in b["cameras"])
        wr.writerow([b["order"], b["inside_site"], o["at_ist"] or "", o["at_utc"] or "",
                     "" if o["hours_left"] is None else o["hours_left"], o["status"],
                     "" if b["retention_days"] is None else b["retention_days"],
                     b["retention_verified_at"] or ""]
                    + [_cell(b[k]) for k in ("id", "site", "owner", "contact_name",
                                             "contact_phone", "building", "level", "room",
                                             "make", "model", "serial")]
                    + ["" if b["clock_offset_s"] is None else b["clock_offset_s"],
                       b["clock_checked_at"] or "", _cell(cams)])
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# The bundle
# ---------------------------------------------------------------------------------------------
PdfWriter = Callable[[Path, Path, str], None]  # (sheet.html, sheet.pdf, title)


def pdf_in_subprocess(html_path: Path, pdf_path: Path, title: str) -> None:
    """Print the HTML to PDF with Qt in a separate process (`python -m widgets.evidence_pdf`):
    app/ never imports Qt, and a CLI export needs no display (offscreen platform)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(x for x in (str(root), os.environ.get("PYTHONPATH"))
                                         if x)}
    try:
        res = subprocess.run([sys.executable, "-m", "widgets.evidence_pdf", str(html_path),
                              str(pdf_path), "--title", title], capture_output=True, text=True,
                             timeout=PDF_TIMEOUT_S, env=env, cwd=str(root))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EvidenceError(f"sheet.pdf not printed: {exc}") from None
    if res.returncode != 0 or not pdf_path.is_file():
        tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
        raise EvidenceError("sheet.pdf not printed: " + (" | ".join(tail) or
                                                          f"exit status {res.returncode}"))


@dataclass
class Bundle:
    path: Path
    sheet: dict
    files: dict[str, Path]
    manifest_sha256: str
    problems: list[str]


def _collect_media(work: Path, facts: IncidentFacts, cameras: set[str], window: Window,
                   snapshot_dir: Path | None, recordings_dir: Path | None,
                   copy_recordings: bool) -> tuple[dict, list[tuple[str, str]]]:
    """Copy (and hash) the snapshots and recordings into `work`. Returns the media section
    of the sheet and the manifest entries (sha256, path)."""
    entries: list[tuple[str, str]] = []
    problems: list[str] = []
    snaps = []
    for s in find_snapshots(snapshot_dir, cameras, window):
        rel = f"snapshots/{s['image'].name}"
        sha, _ = _copy_hashing(s["image"], work / rel)
        side_rel = f"snapshots/{s['sidecar'].name}"
        side_sha, _ = _copy_hashing(s["sidecar"], work / side_rel)
        entries += [(sha, rel), (side_sha, side_rel)]
        snaps.append({"camera": s["camera"], "time_utc": _iso(s["time"]),
                      "time_ist": fmt_ist(s["time"], True), "operator": s["operator"],
                      "bundle_path": rel, "sha256": sha, "sidecar": side_rel,
                      "sidecar_sha256": side_sha})
    rec = read_recordings(recordings_dir, facts.incident.incident.id)
    problems += rec["problems"]
    recs = []
    if rec["manifest"] is not None:
        rel = f"recordings/{RECORDINGS_MANIFEST}"
        sha, _ = _copy_hashing(rec["manifest"], work / rel)
        entries.append((sha, rel))
    for f in rec["files"]:
        src = rec["dir"] / f["path"]
        listed = str(f.get("sha256") or "").lower() or None
        entry = {"camera": str(f.get("camera", "")), "path": f["path"],
                 "source_path": str(src), "bundle_path": None, "bytes": f.get("bytes"),
                 "start_utc": f.get("start_utc"), "end_utc": f.get("end_utc"),
                 "start_ist": _ist_text(f.get("start_utc")),
                 "end_ist": _ist_text(f.get("end_utc")),
                 "closed_cleanly": f.get("closed_cleanly", True),
                 "sha256_listed": listed, "sha256_now": None, "status": "ok"}
        if not src.is_file():
            entry["status"] = "MISSING: the file is not there"
            problems.append(f"recording {f['path']} is listed but missing")
            recs.append(entry)
            continue
        if copy_recordings:
            rel = f"recordings/{Path(f['path']).as_posix()}"
            sha, size = _copy_hashing(src, work / rel)
            entry["bundle_path"] = rel
            entries.append((sha, rel))
        else:
            sha, size = sha256_file(src), src.stat().st_size
            entries.append((sha, str(src.resolve())))
        entry["sha256_now"] = sha
        if listed != sha:
            entry["status"] = f"MISMATCH: recordings.json says {listed or 'nothing'}"
            problems.append(f"recording {f['path']}: SHA-256 {sha} does not match "
                            f"recordings.json ({listed or 'none listed'})")
        elif f.get("bytes") not in (None, size):
            entry["status"] = f"SIZE: {size} bytes, recordings.json says {f.get('bytes')}"
            problems.append(f"recording {f['path']}: {size} bytes, recordings.json says "
                            f"{f.get('bytes')}")
        elif entry["closed_cleanly"] is False:
            entry["status"] = "ok (not closed cleanly: Nazar stopped while recording)"
        recs.append(entry)
    note = rec["note"] or ("" if rec["files"] else "no recordings listed")
    return ({"snapshots": snaps, "recordings": recs, "recordings_note": note,
             "problems": problems}, entries)


def _ist_text(iso: Any) -> str:
    try:
        t = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso or "")
    return fmt_ist(t if t.tzinfo else t.replace(tzinfo=timezone.utc), True)


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def export_bundle(incident_id: str, out_dir: Path, *, registry: Registry,
                  settings_dir: Path, audit_path: Path | None = None,
                  snapshot_dir: Path | None = None, recordings_dir: Path | None = None,
                  window_from: datetime | None = None, window_to: datetime | None = None,
                  now: datetime | None = None, copy_recordings: bool = True,
                  pdf_writer: PdfWriter | None = pdf_in_subprocess) -> Bundle:
    """Write the evidence bundle of `incident_id` into the new directory `out_dir` (see the
    module docstring). The incident is read from where the wall keeps it (settings, audit
    log), so this runs with or without the wall. `pdf_writer` None writes no PDF.

    Raises EvidenceError (no such incident, `out_dir` exists and is not empty, a bad window).
    Problems with the evidence itself (a hash mismatch, a missing file, the PDF not printed)
    do not stop it: they are on the sheet and in `Bundle.problems`."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise EvidenceError(f"{out_dir} already exists and is not empty: give a new directory")
    facts = find_incident(incident_id, settings_dir, audit_path)
    window = default_window(facts, now, window_from, window_to)
    if window.end <= window.start:
        raise EvidenceError(f"the evidence window ends ({fmt_ist(window.end)}) before it "
                            f"starts ({fmt_ist(window.start)})")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        _, shown = _wall_desk(registry, facts.incident)
        cameras = {p.camera_id for p in shown.picks} | set(viewed_cameras(facts.rows or []))
        media, entries = _collect_media(work, facts, cameras, window, snapshot_dir,
                                        recordings_dir, copy_recordings)
        manifest_text = "".join(f"{sha}  {path}\n" for sha, path in
                                sorted(entries, key=lambda e: e[1]))
        _write(work / "manifest.sha256", manifest_text)
        manifest: dict[str, Any] = {"file": "manifest.sha256", "entries": len(entries),
                    "sha256": hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()}
        sheet = build_sheet(registry, facts, now=now, window=window, media=media,
                            manifest=manifest)
        files = {"sheet.html": work / "sheet.html", "recorders.csv": work / "recorders.csv",
                 "handover.json": work / "handover.json",
                 "manifest.sha256": work / "manifest.sha256"}
        _write(files["sheet.html"], render_html(sheet))
        _write(files["recorders.csv"], render_csv(sheet))
        problems = list(sheet["problems"])
        if pdf_writer is not None:
            try:
                pdf_writer(files["sheet.html"], work / "sheet.pdf", f"Evidence sheet {incident_id}")
                files["sheet.pdf"] = work / "sheet.pdf"
            except EvidenceError as exc:
                problems.append(str(exc))
        sheet["bundle_problems"] = problems[len(sheet["problems"]):]
        _write(files["handover.json"], json.dumps(sheet, ensure_ascii=False, indent=2) + "\n")
        sums = "".join(f"{sha256_file(p)}  {name}\n" for name, p in sorted(files.items()))
        _write(work / "SHA256SUMS", sums)
        files["SHA256SUMS"] = work / "SHA256SUMS"
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Bundle(out_dir, sheet, {k: out_dir / v.name for k, v in files.items()},
                  manifest["sha256"], problems)


def default_out_dir(incident_id: str, now: datetime) -> Path:
    return Path.cwd() / f"evidence-{safe_name(incident_id)}-{now.astimezone(IST):%Y%m%d-%H%M%S}"


__all__ = ["Bundle", "EvidenceError", "IncidentFacts", "Window", "build_sheet",
           "default_out_dir", "default_recordings_dir", "export_bundle", "find_incident",
           "fmt_ist", "parse_when", "read_open_incidents", "render_csv", "render_html",
           "render_text"]
