"""Places and the cameras in them (no Qt): which cameras a division, police station, site
or drawn rectangle holds, and the order they go on the wall (police first, nearest first)."""
from __future__ import annotations

import math
from collections.abc import Iterable

from app.geometry import distance_m
from app.registry import Camera, Registry

AREA_KINDS = ("division", "station", "site")

def station_location(registry: Registry, station_id: str) -> tuple[float, float] | None:
    """The station's location, else the mean of its cameras' (for the area and the card)."""
    st = registry.stations.get(station_id)
    if st is not None and st.location is not None:
        return (st.location.lat, st.location.lon)
    cams = registry.cameras_of_station(station_id)
    if not cams:
        return None
    return (sum(c.location.lat for c in cams) / len(cams),
            sum(c.location.lon for c in cams) / len(cams))


def order_for_wall(cams: Iterable[Camera], centre: tuple[float, float] | None) -> list[str]:
    """Police cameras first, then private; each nearest the centre first (then by id)."""
    def key(c: Camera) -> tuple[int, float, str]:
        d = distance_m(centre[0], centre[1], c.location.lat, c.location.lon) if centre else 0.0
        return (0 if c.is_police else 1, round(d, 1), c.id)
    return [c.id for c in sorted(cams, key=key)]


def area_centre(registry: Registry, kind: str, area_id: str) -> tuple[float, float] | None:
    if kind == "site":
        s = registry.sites[area_id]
        return (s.location.lat, s.location.lon)
    if kind == "station":
        return station_location(registry, area_id)
    div = registry.divisions[area_id]
    pts = [p for p in (station_location(registry, s) for s in div.stations) if p]
    if not pts:
        return None
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def is_known_area(registry: Registry, kind: str, area_id: str) -> bool:
    if not isinstance(area_id, str):
        return False
    if kind == "division":
        return area_id in registry.divisions
    if kind == "station":
        return area_id in registry.stations
    return kind == "site" and area_id in registry.sites


def cameras_in_area(registry: Registry, kind: str, area_id: str) -> list[str]:
    """The cameras of a division, police station (its police cameras and the private cameras
    at sites in its area) or site, in wall order. Unknown kind or id: ValueError."""
    if not is_known_area(registry, kind, area_id):
        raise ValueError(f"unknown {kind} {area_id!r}")
    if kind == "site":
        cams = registry.cameras_of_site(area_id)
    elif kind == "station":
        cams = registry.cameras_of_station(area_id)
    else:
        stations = set(registry.divisions[area_id].stations)
        cams = [c for c in registry.cameras.values() if c.station in stations]
    return order_for_wall(cams, area_centre(registry, kind, area_id))


def cameras_in_rect(registry: Registry, south: float, west: float, north: float,
                    east: float) -> list[str]:
    """The cameras inside a rectangle drawn on the map, in wall order (from its centre)."""
    vals = (south, west, north, east)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        raise ValueError("a rectangle needs four finite numbers")
    s, n = sorted((south, north))
    w, e = sorted((west, east))
    cams = [c for c in registry.cameras.values()
            if s <= c.location.lat <= n and w <= c.location.lon <= e]
    return order_for_wall(cams, ((s + n) / 2, (w + e) / 2))
