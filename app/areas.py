"""Approximate police-station and division areas for the built-in offline basemap.

There are no official police-station boundaries available offline, so the map draws the
next best thing and says so: each station's area is its Voronoi cell (every point is given to
the nearest police station), clipped to the jurisdiction box, and a division's area is the
union of its stations' cells.

Plain Python (no Qt, no scipy): each cell is the box clipped by one half-plane per other
station, which for about a hundred stations is a few milliseconds. The work is done in a local
flat projection (metres east and north of the box centre), so "nearest" means nearest on the
ground, not nearest in degrees.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# The Kolkata Police jurisdiction, generously: the box every cell is clipped to.
KOLKATA_BOX = (22.38, 88.26, 22.66, 88.70)  # (south, west, north, east)

_M_PER_DEG_LAT = 111_320.0

LatLon = tuple[float, float]
Ring = list[LatLon]


@dataclass(frozen=True)
class StationArea:
    id: str
    division: str
    site: LatLon  # the point the cell was grown from (the station's location)
    cell: Ring  # a convex polygon, counter-clockwise, not closed (first != last)


@dataclass(frozen=True)
class DivisionArea:
    id: str
    rings: list[Ring]  # outer boundaries and holes; fill with the even-odd rule
    label: LatLon  # a point inside the area, for its name


class _Projection:
    """Degrees <-> metres on a plane tangent at the box centre (good to ~0.1 % over a city)."""

    def __init__(self, lat0: float, lon0: float):
        self.lat0, self.lon0 = lat0, lon0
        self.kx = _M_PER_DEG_LAT * math.cos(math.radians(lat0))

    def fwd(self, lat: float, lon: float) -> tuple[float, float]:
        return ((lon - self.lon0) * self.kx, (lat - self.lat0) * _M_PER_DEG_LAT)

    def inv(self, x: float, y: float) -> LatLon:
        return (self.lat0 + y / _M_PER_DEG_LAT, self.lon0 + x / self.kx)


def box_for(points: list[LatLon], default: tuple[float, float, float, float] = KOLKATA_BOX,
            pad: float = 0.1) -> tuple[float, float, float, float]:
    """The default box if it holds every point; else the points' bounding box, padded."""
    if not points:
        return default
    s, w, n, e = default
    if all(s <= lat <= n and w <= lon <= e for lat, lon in points):
        return default
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    dlat = max(max(lats) - min(lats), 0.01) * pad
    dlon = max(max(lons) - min(lons), 0.01) * pad
    return (min(lats) - dlat, min(lons) - dlon, max(lats) + dlat, max(lons) + dlon)


def _clip(poly: list[tuple[float, float]], nx: float, ny: float, c: float
          ) -> list[tuple[float, float]]:
    """Keep the part of a convex polygon where nx*x + ny*y <= c (Sutherland-Hodgman)."""
    out: list[tuple[float, float]] = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        dp = nx * p[0] + ny * p[1] - c
        dq = nx * q[0] + ny * q[1] - c
        if dp <= 0:
            out.append(p)
        if (dp < 0 < dq) or (dq < 0 < dp):
            t = dp / (dp - dq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def voronoi_cells(points: list[LatLon], box: tuple[float, float, float, float]
                  ) -> tuple[list[Ring], list[int]]:
    """One convex cell per point (in the same order), clipped to the box, and for each point
    the index of the point that owns its cell: itself, or the first point at the same place
    (a women's police station at the same address as the station shares its area).
    """
    s, w, n, e = box
    proj = _Projection((s + n) / 2, (w + e) / 2)
    xy = [proj.fwd(lat, lon) for lat, lon in points]
    x0, y0 = proj.fwd(s, w)
    x1, y1 = proj.fwd(n, e)
    box_poly = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]  # counter-clockwise
    cells: list[Ring] = []
    owner: list[int] = []
    seen: dict[tuple[float, float], int] = {}
    for i, (px, py) in enumerate(xy):
        key = (round(px, 3), round(py, 3))
        if key in seen:
            owner.append(seen[key])
            cells.append(list(cells[seen[key]]))
            continue
        seen[key] = i
        owner.append(i)
        poly = box_poly
        # Nearest neighbours first: the cell shrinks quickly, later clips are cheap no-ops.
        order = sorted(range(len(xy)), key=lambda j: (xy[j][0] - px) ** 2 + (xy[j][1] - py) ** 2)
        for j in order:
            qx, qy = xy[j]
            nx, ny = qx - px, qy - py
            if nx * nx + ny * ny < 1e-6:  # itself, or a duplicate
                continue
            c = nx * (px + qx) / 2 + ny * (py + qy) / 2
            poly = _clip(poly, nx, ny, c)
            if not poly:
                break
        cells.append([proj.inv(x, y) for x, y in poly])
    return cells, owner


class _Snap:
    """Gives vertices closer than `tol` metres the same number (cells computed separately
    meet at vertices that differ in the last bits)."""

    def __init__(self, tol: float = 0.05):
        self.tol = tol
        self.grid: dict[tuple[int, int], int] = {}
        self.points: list[tuple[float, float]] = []

    def id(self, x: float, y: float) -> int:
        gx, gy = round(x / self.tol), round(y / self.tol)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                k = self.grid.get((gx + dx, gy + dy))
                if k is not None:
                    return k
        self.grid[(gx, gy)] = len(self.points)
        self.points.append((x, y))
        return len(self.points) - 1


def dissolve(cells: list[Ring], box: tuple[float, float, float, float]) -> list[Ring]:
    """The boundary rings of the union of cells that tile the plane edge to edge.

    An edge that two of the cells share is inside the union; every other edge is on its
    boundary. The boundary edges are chained into closed rings.
    """
    s, w, n, e = box
    proj = _Projection((s + n) / 2, (w + e) / 2)
    snap = _Snap()
    count: dict[tuple[int, int], int] = {}
    directed: dict[int, list[int]] = {}
    for cell in cells:
        if len(cell) < 3:
            continue
        ids = [snap.id(*proj.fwd(lat, lon)) for lat, lon in cell]
        ids = [v for k, v in enumerate(ids) if v != ids[k - 1]]  # drop zero-length edges
        for k in range(len(ids)):
            a, b = ids[k], ids[(k + 1) % len(ids)]
            und = (min(a, b), max(a, b))
            count[und] = count.get(und, 0) + 1
    for cell in cells:
        if len(cell) < 3:
            continue
        ids = [snap.id(*proj.fwd(lat, lon)) for lat, lon in cell]
        ids = [v for k, v in enumerate(ids) if v != ids[k - 1]]
        for k in range(len(ids)):
            a, b = ids[k], ids[(k + 1) % len(ids)]
            if count[(min(a, b), max(a, b))] == 1:
                directed.setdefault(a, []).append(b)
    rings: list[Ring] = []
    while directed:
        start = next(iter(directed))
        ring_ids = [start]
        cur = start
        while True:
            nxt_list = directed.get(cur)
            if not nxt_list:
                break
            nxt = nxt_list.pop()
            if not nxt_list:
                del directed[cur]
            if nxt == start:
                break
            ring_ids.append(nxt)
            cur = nxt
        if len(ring_ids) >= 3:
            rings.append([proj.inv(*snap.points[v]) for v in ring_ids])
    return rings


def polygon_area_centroid(ring: Ring) -> tuple[float, LatLon]:
    """Signed area (in squared degrees, counter-clockwise positive) and centroid of a ring."""
    a = cx = cy = 0.0
    n = len(ring)
    for i in range(n):
        y0, x0 = ring[i]
        y1, x1 = ring[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    a /= 2
    if abs(a) < 1e-15:
        lat = sum(p[0] for p in ring) / max(n, 1)
        lon = sum(p[1] for p in ring) / max(n, 1)
        return 0.0, (lat, lon)
    return a, (cy / (6 * a), cx / (6 * a))


def point_in_ring(lat: float, lon: float, ring: Ring) -> bool:
    """Even-odd point-in-polygon test."""
    inside = False
    n = len(ring)
    for i in range(n):
        y0, x0 = ring[i]
        y1, x1 = ring[i - 1]
        if (y0 > lat) != (y1 > lat):
            x = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
            if lon < x:
                inside = not inside
    return inside


def build_areas(stations: list[tuple[str, str, LatLon]],
                box: tuple[float, float, float, float] | None = None
                ) -> tuple[list[StationArea], list[DivisionArea]]:
    """Station areas and division areas from (station id, division id, location) triples."""
    if box is None:
        box = box_for([loc for _s, _d, loc in stations])
    cells, owner = voronoi_cells([loc for _s, _d, loc in stations], box)
    st_areas = [StationArea(sid, div, loc, cell)
                for (sid, div, loc), cell in zip(stations, cells) if len(cell) >= 3]
    div_areas: list[DivisionArea] = []
    for div in dict.fromkeys(d for _s, d, _l in stations):
        mine = [a for a in st_areas if a.division == div]
        # A shared cell counts once (else its edges would look shared, i.e. inside).
        own = [cells[i] for i, (_s, d, _l) in enumerate(stations)
               if d == div and owner[i] == i and len(cells[i]) >= 3]
        own += [cells[i] for i, (_s, d, _l) in enumerate(stations)
                if d == div and owner[i] != i and stations[owner[i]][1] != div
                and len(cells[i]) >= 3]
        if not mine:
            continue
        rings = dissolve(own, box)
        if not rings:
            continue
        # The label goes at the centroid of the largest outer ring if that lies inside the
        # area, else at the station nearest to that centroid (always inside its own cell).
        _area, centroid = max((polygon_area_centroid(r) for r in rings), key=lambda t: t[0])
        inside = sum(point_in_ring(centroid[0], centroid[1], r) for r in rings) % 2 == 1
        if not inside:
            centroid = min((a.site for a in mine),
                           key=lambda p: (p[0] - centroid[0]) ** 2 + (p[1] - centroid[1]) ** 2)
        div_areas.append(DivisionArea(div, rings, centroid))
    return st_areas, div_areas
