"""Plain geometry: distances on the earth, camera coverage cones, fitting frames into tiles."""
from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def destination(lat: float, lon: float, bearing: float, dist_m: float) -> tuple[float, float]:
    """The point `dist_m` metres from (lat, lon) along `bearing` degrees."""
    d = dist_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1),
                         math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def angle_diff(a: float, b: float) -> float:
    """Smallest absolute difference between two bearings, in [0, 180]."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


def coverage_polygon(lat: float, lon: float, bearing: float, fov: float, range_m: float,
                     steps: int = 12) -> list[tuple[float, float]]:
    """The field of view as a closed polygon of (lat, lon): apex, arc, apex.

    A 360-degree camera gives a circle (no apex).
    """
    if fov >= 360.0:
        pts = [destination(lat, lon, i * 360.0 / (steps * 2), range_m) for i in range(steps * 2)]
        return pts + [pts[0]]
    start = bearing - fov / 2.0
    arc = [destination(lat, lon, start + fov * i / steps, range_m) for i in range(steps + 1)]
    return [(lat, lon), *arc, (lat, lon)]


def in_coverage(cam_lat: float, cam_lon: float, bearing: float, fov: float, range_m: float,
                lat: float, lon: float) -> bool:
    """Whether the point lies inside the camera's coverage cone."""
    dist = distance_m(cam_lat, cam_lon, lat, lon)
    if dist > range_m:
        return False
    if fov >= 360.0 or dist < 1e-6:
        return True
    return angle_diff(bearing_deg(cam_lat, cam_lon, lat, lon), bearing) <= fov / 2.0


def point_in_polygon(lat: float, lon: float, polygon: Sequence[tuple[float, float]]) -> bool:
    """Whether (lat, lon) lies inside a polygon of (lat, lon) points (open or closed), by ray
    casting on plain degrees: right for a building-sized outline, not for one that spans the
    antimeridian or a pole. A point exactly on an edge may fall either way."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (y0, x0), (y1, x1) = polygon[i], polygon[(i + 1) % n]
        if (y0 > lat) != (y1 > lat):
            x_cross = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
            if lon < x_cross:
                inside = not inside
    return inside


def fit_size(src_w: int, src_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """The largest size with the source's aspect ratio that fits in the box (at least 1x1)."""
    if src_w <= 0 or src_h <= 0 or box_w <= 0 or box_h <= 0:
        return (max(1, box_w), max(1, box_h))
    scale = min(box_w / src_w, box_h / src_h)
    return (max(1, round(src_w * scale)), max(1, round(src_h * scale)))


def centered(inner_w: int, inner_h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Top-left offset that centres an inner rectangle in a box."""
    return ((box_w - inner_w) // 2, (box_h - inner_h) // 2)
