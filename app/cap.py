"""OASIS CAP 1.2 (Common Alerting Protocol) in and out, as plain Python (no Qt, no network).

`parse_cap(data)` reads one `<alert>` with defusedxml: a DTD, an entity declaration or an
external reference is refused before anything is expanded, so no "billion laughs" and no
file or network reads. It returns a `CapMessage` (what the wall must do) or raises
`CapError` with a reason for the sender. `incident_to_cap(...)` writes an open incident out
as a CAP 1.2 Alert that `parse_cap` reads back to the same point, radius and type.

What the wall does with a message (`app.dispatch.Dispatcher.ingest_cap`):

    msgType  Alert   raise an incident: at the first <circle>'s centre with its radius; else
                     at the registry site named by <areaDesc>, or at the site inside the first
                     <polygon> (else the polygon's centre, radius reaching its corners)
             Update  the incident raised by a message in <references>: move it to the new
                     circle, change its radius, add <note> / <description> as a note
             Cancel  clear the incident raised by a message in <references>
             Ack, Error  refused (nothing for the wall to do)
    status   Actual  a real alarm
             Exercise, Test  raised with the EXERCISE banner, never as a real alarm
             System, Draft   refused
    identifier  a (sender, identifier) pair already seen is ignored (answered as a duplicate)

Type and priority (the first <info>; `CATEGORY_KIND`, `SEVERITY_PRIORITY`, `URGENCY_STEP`):

    category  Fire -> fire; Security -> law and order; Safety -> crowd; any other -> other
              (several categories: the first one that is not "other")
    severity  Extreme 5, Severe 4, Moderate 3, Minor 2, Unknown 3  (priority, 5 most urgent)
    urgency   Immediate +0, Expected -1, Future -2, Unknown +0, Past: priority 1
              (the result is kept within 1..5)
    radius    CAP gives kilometres; 0 (a point) searches the default 250 m; more than
              MAX_RADIUS_M is searched as MAX_RADIUS_M and the note says so
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_BYTES = 256 * 1024  # a CAP alert is a few kB; anything this large is refused unread
DEFAULT_RADIUS_M = 250.0
MAX_RADIUS_M = 2000.0

CATEGORY_KIND = {"Fire": "fire", "Security": "law_and_order", "Safety": "crowd"}
SEVERITY_PRIORITY = {"Extreme": 5, "Severe": 4, "Moderate": 3, "Minor": 2, "Unknown": 3}
URGENCY_STEP = {"Immediate": 0, "Expected": -1, "Future": -2, "Unknown": 0}
KIND_CATEGORY = {"fire": "Fire", "law_and_order": "Security", "crowd": "Safety",
                 "other": "Other"}
PRIORITY_SEVERITY = {5: "Extreme", 4: "Severe", 3: "Moderate", 2: "Minor", 1: "Minor"}

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")


class CapError(ValueError):
    """The message cannot be used; the text says why (for the sender and the log)."""


@dataclass(frozen=True)
class CapRef:
    sender: str
    identifier: str

    @property
    def key(self) -> str:
        return f"{self.sender},{self.identifier}"


@dataclass(frozen=True)
class CapMessage:
    ref: CapRef  # this message's sender and identifier
    sent: datetime
    status: str  # Actual | Exercise | Test
    msg_type: str  # Alert | Update | Cancel
    references: tuple[CapRef, ...] = ()
    kind: str = "other"
    priority: int = 3
    event: str = ""
    headline: str = ""
    note: str = ""  # <note>, then <description>: what a note on the incident says
    area_desc: str = ""
    point: tuple[float, float] | None = None  # (lat, lon) of the circle or polygon
    radius_m: float | None = None  # the circle's radius (metres), clamped; None: no circle
    polygon: tuple[tuple[float, float], ...] = ()
    warnings: tuple[str, ...] = field(default=())  # e.g. a clamped radius

    @property
    def exercise(self) -> bool:
        return self.status in ("Exercise", "Test")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _text(el: Element | None, tag: str) -> str:
    child = el.find(_q(tag)) if el is not None else None
    return (child.text or "").strip() if child is not None else ""


def _required(el: Element, tag: str) -> str:
    value = _text(el, tag)
    if not value:
        raise CapError(f"<{tag}> is missing or empty (CAP 1.2 requires it)")
    return value


def _coord(text: str, where: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise CapError(f"{where}: '{text[:40]}' is not 'latitude,longitude'")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise CapError(f"{where}: '{text[:40]}' is not 'latitude,longitude'") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        raise CapError(f"{where}: {lat:g},{lon:g} is outside WGS 84 (latitude -90..90, "
                       "longitude -180..180)")
    return lat, lon


def parse_circle(text: str) -> tuple[tuple[float, float], float]:
    """"22.5014,88.3616 0.25" -> ((lat, lon), radius in km)."""
    parts = text.split()
    if len(parts) != 2:
        raise CapError(f"<circle> '{text[:60]}' is not 'latitude,longitude radius-km'")
    point = _coord(parts[0], "<circle>")
    try:
        km = float(parts[1])
    except ValueError:
        raise CapError(f"<circle> radius '{parts[1][:20]}' is not a number of km") from None
    if not math.isfinite(km) or km < 0:
        raise CapError(f"<circle> radius {parts[1][:20]} km must be 0 or more")
    return point, km


def parse_polygon(text: str) -> tuple[tuple[float, float], ...]:
    """CAP: four or more "lat,lon" pairs, the first and last the same."""
    pts = tuple(_coord(p, "<polygon>") for p in text.split())
    if len(pts) < 4 or pts[0] != pts[-1]:
        raise CapError("<polygon> needs four or more points, the first and the last the same")
    return pts


def polygon_centre(pts: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    """The mean of the corners (the closing point counted once): good enough for the few
    hundred metres of a site, where the flat-earth error is centimetres."""
    ring = pts[:-1]
    return (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))


def parse_references(text: str) -> tuple[CapRef, ...]:
    refs = []
    for item in text.split():
        parts = item.split(",")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            raise CapError(f"<references> entry '{item[:60]}' is not 'sender,identifier,sent'")
        refs.append(CapRef(parts[0], parts[1]))
    return tuple(refs)


def priority_for(severity: str, urgency: str) -> int:
    if urgency == "Past":
        return 1
    base = SEVERITY_PRIORITY.get(severity, 3)
    return max(1, min(5, base + URGENCY_STEP.get(urgency, 0)))


def kind_for(categories: list[str]) -> str:
    return next((CATEGORY_KIND[c] for c in categories if c in CATEGORY_KIND), "other")


def _parse_sent(text: str) -> datetime:
    # CAP: 2002-05-24T16:49:00-07:00 (a time zone is required; "-00:00" means UTC)
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d", text):
        raise CapError(f"<sent> '{text[:40]}' is not a CAP time such as "
                       "2026-12-01T10:15:00+05:30")
    try:
        return datetime.fromisoformat(text).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise CapError(f"<sent> '{text[:40]}' is not a valid date and time") from None


def parse_cap(data: bytes | str) -> CapMessage:
    """One CAP 1.2 `<alert>` -> CapMessage, or CapError with the reason."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    except UnicodeEncodeError:
        raise CapError("the text is not valid Unicode (a lone surrogate)") from None
    if len(raw) > MAX_BYTES:
        raise CapError(f"the message is {len(raw)} bytes; CAP alerts here are limited to "
                       f"{MAX_BYTES} bytes")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapError(f"refused: the XML declares a DTD or entities ({type(exc).__name__}); "
                       "CAP needs neither") from None
    except (ParseError, LookupError) as exc:  # LookupError: an unknown encoding
        raise CapError(f"not well-formed XML: {exc}") from None
    if root.tag != _q("alert"):
        raise CapError(f"the root element is <{root.tag}>, not a CAP 1.2 <alert> in the "
                       f"namespace {NS}")
    ref = CapRef(_required(root, "sender"), _required(root, "identifier"))
    for what, value in (("sender", ref.sender), ("identifier", ref.identifier)):
        if any(c.isspace() or c in ",<&" for c in value) or len(value) > 200:
            raise CapError(f"<{what}> must not contain spaces, commas, '<' or '&' (CAP 1.2)")
    sent = _parse_sent(_required(root, "sent"))
    status = _required(root, "status")
    if status not in STATUSES:
        raise CapError(f"<status> '{status[:20]}' is not one of {', '.join(STATUSES)}")
    if status in ("System", "Draft"):
        raise CapError(f"status {status}: not for the wall (only Actual, Exercise and Test are "
                       "acted on)")
    msg_type = _required(root, "msgType")
    if msg_type not in MSG_TYPES:
        raise CapError(f"<msgType> '{msg_type[:20]}' is not one of {', '.join(MSG_TYPES)}")
    if msg_type in ("Ack", "Error"):
        raise CapError(f"msgType {msg_type}: nothing for the wall to do")
    references = parse_references(_text(root, "references"))
    if msg_type in ("Update", "Cancel") and not references:
        raise CapError(f"msgType {msg_type} needs <references> naming the alert it changes")

    info = root.find(_q("info"))
    categories = [(c.text or "").strip() for c in info.findall(_q("category"))] \
        if info is not None else []
    severity, urgency = _text(info, "severity"), _text(info, "urgency")
    note = _text(root, "note") or _text(info, "description")
    point: tuple[float, float] | None = None
    radius_m: float | None = None
    polygon: tuple[tuple[float, float], ...] = ()
    area_desc = ""
    warnings: list[str] = []
    area = info.find(_q("area")) if info is not None else None
    if area is not None:
        area_desc = _text(area, "areaDesc")
        circle = area.find(_q("circle"))
        poly = area.find(_q("polygon"))
        if circle is not None and (circle.text or "").strip():
            point, km = parse_circle((circle.text or "").strip())
            radius_m = km * 1000.0 if km > 0 else DEFAULT_RADIUS_M
            if radius_m > MAX_RADIUS_M:
                warnings.append(f"CAP circle of {km:g} km searched as "
                                f"{MAX_RADIUS_M / 1000:g} km")
                radius_m = MAX_RADIUS_M
        elif poly is not None and (poly.text or "").strip():
            polygon = parse_polygon((poly.text or "").strip())
            point = polygon_centre(polygon)
    if msg_type == "Alert" and point is None and not area_desc:
        raise CapError("an Alert needs an <area> with a <circle>, a <polygon> or an "
                       "<areaDesc> naming a site")
    return CapMessage(ref=ref, sent=sent, status=status, msg_type=msg_type,
                      references=references, kind=kind_for(categories),
                      priority=priority_for(severity, urgency), event=_text(info, "event"),
                      headline=_text(info, "headline"), note=note[:2000], area_desc=area_desc,
                      point=point, radius_m=radius_m, polygon=polygon,
                      warnings=tuple(warnings))


def _xml_text(text: str) -> str:
    """Text XML 1.0 can carry: control characters (except tab and newline) dropped."""
    return "".join(c for c in text if c in "\t\n" or (ord(c) >= 0x20 and not
                                                       0xD800 <= ord(c) <= 0xDFFF
                                                       and c not in "\ufffe\uffff"))


def incident_to_cap(*, identifier: str, sender: str, sent: datetime, lat: float, lon: float,
                    radius_m: float, kind: str, priority: int, exercise: bool,
                    area_desc: str, note: str = "", headline: str = "") -> str:
    """One incident as a CAP 1.2 Alert (UTF-8 XML text)."""
    alert = Element("alert", {"xmlns": NS})
    for tag, value in (("identifier", identifier), ("sender", sender),
                       ("sent", sent.astimezone(timezone.utc).isoformat(timespec="seconds")),
                       ("status", "Exercise" if exercise else "Actual"),
                       ("msgType", "Alert"), ("scope", "Restricted"),
                       ("restriction", "Kolkata Police control room")):
        SubElement(alert, tag).text = value
    note, headline, area_desc = _xml_text(note), _xml_text(headline), _xml_text(area_desc)
    if note:
        SubElement(alert, "note").text = note
    info = SubElement(alert, "info")
    SubElement(info, "language").text = "en-IN"
    SubElement(info, "category").text = KIND_CATEGORY.get(kind, "Other")
    SubElement(info, "event").text = headline or kind.replace("_", " ")
    SubElement(info, "urgency").text = "Expected" if priority <= 1 else "Immediate"
    SubElement(info, "severity").text = PRIORITY_SEVERITY.get(priority, "Moderate")
    SubElement(info, "certainty").text = "Observed"
    if headline:
        SubElement(info, "headline").text = headline
    area = SubElement(info, "area")
    SubElement(area, "areaDesc").text = area_desc or f"{lat:.6f}, {lon:.6f}"
    SubElement(area, "circle").text = f"{lat:.6f},{lon:.6f} {radius_m / 1000.0:g}"
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(alert, encoding="unicode")


__all__ = ["CapError", "CapMessage", "CapRef", "parse_cap", "incident_to_cap", "priority_for",
           "kind_for", "CATEGORY_KIND", "SEVERITY_PRIORITY", "URGENCY_STEP", "MAX_RADIUS_M"]
