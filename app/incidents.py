"""Alarm mode's plain-Python core: an incident, the cameras that may see it, and their tiles.

An incident is a point (optionally at a site) with a search radius R. `select` lists every
camera within R of the point, plus every camera of the incident's site, ranked in tiers:

1. **covers**: the camera's cone contains the point, within the camera's own range. This says
   "the cone contains the point", not "sees it": there is no building data for occlusion.
2. **site**: a camera of the incident's site whose cone does not contain the point (another
   floor, another wing): the notes' "a 1st-floor camera does not see a 4th-floor food court".
3. **near, direction unknown**: a PTZ camera (where it points now is unknown), or a camera with
   no coverage in the registry. A PTZ camera is never put in tier 1.
4. **near, faces away**: a fixed camera whose cone misses the point (or is too short for it).

Within a tier: nearest first, then camera id. Distances are rounded to 0.1 m before they are
compared, so equal-looking distances never depend on float noise; the sort key is total, so
the order never depends on dict or set order (tested across PYTHONHASHSEED values).

How the wall shows the picks: `alarm_layout_name` picks a 1+N layout, `choose_big` the camera
for the big tile, `compass_arrangement` puts the others around it like the ground (north
above, east to the right), and `keep_positions` keeps each camera on its tile when R or the
ranking changes. A wall "view" is a list of camera ids (or None): tile i of page p shows
view[p * tiles + i], as in app/layouts.py.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from app.geometry import angle_diff, bearing_deg, distance_m, point_in_polygon
from app.layouts import LAYOUTS, Cell, Layout
from app.registry import Camera, Registry

# app.geometry.distance_m is the haversine great-circle distance on the mean earth radius
# (6371.0088 km): within about 0.5 % of the WGS84 ellipsoid at Kolkata's latitude (tested).
haversine_m = distance_m
__all__ = ["INCIDENT_KINDS", "PRIORITIES", "RADIUS_STEPS", "NEAR_M", "Incident", "Pick",
           "haversine_m", "bearing_deg", "signed_angle", "covers", "radius_up", "radius_down",
           "select", "site_at", "reason_chip", "alarm_layout_name", "choose_big",
           "compass_arrangement", "keep_positions"]

INCIDENT_KINDS = ("fire", "crowd", "law_and_order", "other")
# Priority: higher is more urgent.
PRIORITIES = {
    1: "routine (information, no one at risk)",
    2: "low (property only, contained)",
    3: "medium (the default: needs watching now)",
    4: "high (people at risk, or spreading)",
    5: "critical (life at risk now: a fire with people inside, a crush)",
}
DEFAULT_PRIORITY = 3
RADIUS_STEPS = (100, 250, 500, 1000)  # metres; the operator steps R up and down these
NEAR_M = 5.0  # closer than this (or than the camera's position accuracy): covered

TIER_COVERS, TIER_SITE, TIER_UNKNOWN, TIER_AWAY = 1, 2, 3, 4
# Pick.reason values
COVERS, SITE, PTZ, NO_DIRECTION, FACES_AWAY, OUT_OF_RANGE = (
    "covers", "site", "ptz", "no direction", "faces away", "out of range")


# ---------------------------------------------------------------------------------------------
# The search radius
# ---------------------------------------------------------------------------------------------
def radius_up(radius_m: float) -> int:
    """The next step above `radius_m` (the largest step if there is none)."""
    return next((r for r in RADIUS_STEPS if r > radius_m), RADIUS_STEPS[-1])


def radius_down(radius_m: float) -> int:
    """The next step below `radius_m` (the smallest step if there is none)."""
    return next((r for r in reversed(RADIUS_STEPS) if r < radius_m), RADIUS_STEPS[0])


# ---------------------------------------------------------------------------------------------
# The incident
# ---------------------------------------------------------------------------------------------
def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Incident:
    """Something happening at a point. Invalid values raise ValueError at construction.

    `radius_m` is the search radius the operator chose; `uncertainty_m` is how far off the
    point itself may be (a 112 caller's location is a circle). The search uses the larger
    (`search_radius_m`); a map should draw the uncertainty circle apart from R.
    """

    id: str
    lat: float
    lon: float
    kind: str = "other"  # one of INCIDENT_KINDS
    priority: int = DEFAULT_PRIORITY  # 1..5, higher = more urgent; see PRIORITIES
    note: str = ""
    radius_m: float = RADIUS_STEPS[1]
    uncertainty_m: float = 0.0
    site_id: str | None = None
    exercise: bool = False  # an exercise or test: shown with an EXERCISE banner
    raised_at: datetime = field(default_factory=_utc_now)  # stored in UTC

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("an incident needs an id")
        for name, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                    or not lo <= v <= hi:
                raise ValueError(f"incident {name} must be a number from {lo:g} to {hi:g}, "
                                 f"got {v!r}")
        if self.kind not in INCIDENT_KINDS:
            raise ValueError(f"incident kind must be one of {', '.join(INCIDENT_KINDS)}, "
                             f"got {self.kind!r}")
        if isinstance(self.priority, bool) or self.priority not in PRIORITIES:
            raise ValueError(f"incident priority must be 1 to 5, got {self.priority!r}")
        if not (isinstance(self.radius_m, (int, float)) and math.isfinite(self.radius_m)
                and self.radius_m > 0):
            raise ValueError(f"incident radius must be more than 0 m, got {self.radius_m!r}")
        if not (isinstance(self.uncertainty_m, (int, float))
                and math.isfinite(self.uncertainty_m) and self.uncertainty_m >= 0):
            raise ValueError(f"incident uncertainty must be 0 m or more, "
                             f"got {self.uncertainty_m!r}")
        if self.raised_at.tzinfo is None or self.raised_at.utcoffset() is None:
            raise ValueError("raised_at must carry a time zone (e.g. UTC or IST)")
        object.__setattr__(self, "raised_at", self.raised_at.astimezone(timezone.utc))

    @property
    def search_radius_m(self) -> float:
        """R: the radius searched, never smaller than the point's own uncertainty."""
        return float(max(self.radius_m, self.uncertainty_m))

    def with_radius(self, radius_m: float) -> Incident:
        return replace(self, radius_m=radius_m)


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------
def signed_angle(bearing_to_point: float, camera_bearing: float) -> float:
    """The shortest signed turn from the camera's bearing to the point, in [-180, 180)."""
    return ((bearing_to_point - camera_bearing + 540.0) % 360.0) - 180.0


def covers(dist_m: float, bearing_to_point: float | None, camera_bearing: float | None,
           fov: float | None, range_m: float | None, accuracy_m: float = 0.0) -> bool:
    """Whether a camera's cone contains a point `dist_m` away at `bearing_to_point` (the
    bearing from the camera to the point).

    - An unknown direction (bearing missing, fov missing or 0) never covers, however close.
    - Closer than max(NEAR_M, accuracy_m) covers (the bearing means nothing that close).
    - The camera's range limits it: beyond range_m + accuracy_m it does not cover. A missing
      range does not limit.
    - fov >= 360 (a fisheye) covers every direction.
    - Otherwise |signed_angle| < fov/2 + widening (a point exactly on the cone's edge is at
      the border of the picture and does not count: the issue's hand check puts 330° outside
      a 350°/40° cone), where the widening for a camera whose
      position is only known to within accuracy_m (a pin on a building's centroid) is
      asin(accuracy_m / dist_m): the largest angle by which the true bearing to the point can
      differ when the camera is anywhere within accuracy_m of its pin.
    """
    if camera_bearing is None or fov is None or fov <= 0:
        return False
    accuracy_m = max(0.0, accuracy_m or 0.0)
    if dist_m <= max(NEAR_M, accuracy_m):
        return True
    if range_m is not None and dist_m > range_m + accuracy_m:
        return False
    if fov >= 360.0:
        return True
    if bearing_to_point is None:
        return False
    widen = math.degrees(math.asin(min(1.0, accuracy_m / dist_m))) if accuracy_m else 0.0
    return abs(signed_angle(bearing_to_point, camera_bearing)) < fov / 2.0 + widen


# ---------------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pick:
    """One camera chosen for an incident, and why."""

    camera_id: str
    tier: int  # 1 covers, 2 site, 3 near / direction unknown, 4 near / faces away
    distance_m: float  # incident to camera, rounded to 0.1 m
    bearing_from_incident_deg: float | None  # incident to camera, 0.1°; None when at the point
    reason: str  # covers | site | ptz | no direction | faces away | out of range


def _round_m(d: float) -> float:
    return round(d, 1)


def _classify(cam: Camera, incident: Incident, dist: float, of_site: bool) -> tuple[int, str]:
    cov = cam.coverage
    acc = cam.position_accuracy_m
    if cam.ptz:
        tier, reason = TIER_UNKNOWN, PTZ
    elif cov is None:
        tier, reason = TIER_UNKNOWN, NO_DIRECTION
    else:
        to_point = bearing_deg(cam.location.lat, cam.location.lon, incident.lat, incident.lon)
        if covers(dist, to_point, cov.bearing, cov.fov, cov.range_m, acc):
            return TIER_COVERS, COVERS
        aimed = covers(dist, to_point, cov.bearing, cov.fov, None, acc)
        tier, reason = TIER_AWAY, (OUT_OF_RANGE if aimed else FACES_AWAY)
    if of_site:
        return TIER_SITE, SITE
    return tier, reason


def select(registry: Registry, incident: Incident) -> list[Pick]:
    """Every camera within R of the incident plus every camera of its site, ranked."""
    r = incident.search_radius_m
    # A cheap box around the circle first (generous by 1 %), then the exact distance.
    dlat = r * 1.01 / 110_574.0 + 1e-6
    dlon = r * 1.01 / (111_320.0 * max(0.01, math.cos(math.radians(incident.lat)))) + 1e-6
    picks: list[Pick] = []
    for cam in registry.cameras.values():
        of_site = incident.site_id is not None and cam.site == incident.site_id
        lat, lon = cam.location.lat, cam.location.lon
        if not of_site and (abs(lat - incident.lat) > dlat or abs(lon - incident.lon) > dlon):
            continue
        dist = haversine_m(incident.lat, incident.lon, lat, lon)
        if dist > r and not of_site:
            continue
        tier, reason = _classify(cam, incident, dist, of_site)
        rounded = _round_m(dist)
        bearing = (round(bearing_deg(incident.lat, incident.lon, lat, lon), 1) % 360.0
                   if rounded > 0 else None)
        picks.append(Pick(cam.id, tier, rounded, bearing, reason))
    picks.sort(key=lambda p: (p.tier, p.distance_m, p.camera_id))
    return picks


def site_at(registry: Registry, lat: float, lon: float) -> str | None:
    """The site whose footprint contains the point (the smallest id if several), or None:
    to suggest the incident's site when the operator drops a pin inside a mall."""
    hits = [s.id for s in registry.sites.values() if s.footprint and point_in_polygon(
        lat, lon, [(p.lat, p.lon) for p in s.footprint])]
    return min(hits) if hits else None


def _fmt_distance(d: float) -> str:
    if d < 1000.0:
        return f"{int(d + 0.5)} m"
    return f"{d / 1000.0:.1f} km"


def reason_chip(pick: Pick, camera: Camera | None = None) -> str:
    """A short plain-text label for the tile: "covers · 140 m", "site · L4", "near · PTZ",
    "near · faces away · 320 m". An incident-only private camera says so at the end."""
    dist = _fmt_distance(pick.distance_m)
    if pick.reason == COVERS:
        text = f"covers · {dist}"
    elif pick.reason == SITE:
        text = f"site · {camera.level}" if camera is not None and camera.level else \
            f"site · {dist}"
    elif pick.reason == PTZ:
        text = "near · PTZ"
    elif pick.reason == NO_DIRECTION:
        text = "near · direction unknown"
    else:
        text = f"near · {pick.reason} · {dist}"
    if camera is not None and camera.access == "incident_only":
        text += " · incident only"
    return text


# ---------------------------------------------------------------------------------------------
# On the wall
# ---------------------------------------------------------------------------------------------
def alarm_layout_name(count: int) -> str:
    """The alarm layout for `count` cameras: 1+5 up to 6, 1+7 up to 8, else 1+12 (paged
    beyond 13)."""
    if count <= 6:
        return "1+5"
    if count <= 8:
        return "1+7"
    return "1+12"


def choose_big(picks: Sequence[Pick], usable: Callable[[str], bool]) -> str | None:
    """The best-ranked camera that `usable` accepts (live, or at least not offline), for the
    big tile; None if there is none. The caller's `usable` must reject offline cameras."""
    return next((p.camera_id for p in picks if usable(p.camera_id)), None)


def _centre(cell: Cell) -> tuple[float, float]:
    return cell.col + cell.cols / 2.0, cell.row + cell.rows / 2.0


def tile_directions(layout: Layout) -> list[float]:
    """For tiles 1.. of a layout: the compass direction (0 = up = north, 90 = right = east) of
    each tile's centre seen from the centre of tile 0, in grid units."""
    bx, by = _centre(layout.cells[0])
    out = []
    for cell in layout.cells[1:]:
        x, y = _centre(cell)
        out.append(math.degrees(math.atan2(x - bx, by - y)) % 360.0)
    return out


def _assign(cost: list[list[int]]) -> list[int]:
    """Minimum-cost assignment (Hungarian method, O(n²m)) of n rows to distinct columns,
    n <= m. Integer costs, so the result is exact and the same on every machine."""
    n = len(cost)
    if n == 0:
        return []
    m = len(cost[0])
    inf = float("inf")
    u: list[float] = [0.0] * (n + 1)
    v: list[float] = [0.0] * (m + 1)
    p, way = [0] * (m + 1), [0] * (m + 1)  # p[j]: row on column j (1-based, 0 = none)
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    out = [0] * n
    for j in range(1, m + 1):
        if p[j]:
            out[p[j] - 1] = j - 1
    return out


def _arrange_page(big: str | None, others: list[Pick], layout: Layout) -> list[str | None]:
    page: list[str | None] = [big] + [None] * (layout.tiles - 1)
    dirs = tile_directions(layout)
    # Cost: how far (hundredths of a degree) the tile's direction is from the camera's
    # direction from the incident. A camera at the point has no direction: no preference.
    cost = [[0 if p.bearing_from_incident_deg is None
             else int(round(angle_diff(p.bearing_from_incident_deg, d) * 100)) for d in dirs]
            for p in others]
    for p, col in zip(others, _assign(cost)):
        page[col + 1] = p.camera_id
    return page


def compass_arrangement(picks: Sequence[Pick], big_id: str | None, layout: Layout | str,
                        incident: Incident | None = None,
                        usable: Callable[[str], bool] | None = None) -> list[str | None]:
    """The wall's view for an alarm: camera ids per tile, page after page (tile 0 of a page
    is its big cell).

    Page 1 holds `big_id` on the big tile and the next best-ranked cameras (so every camera
    ranked above the overflow is on page 1) on the small tiles, placed so the wall reads like
    the ground: each camera goes to the tile whose direction from the big tile's centre is
    closest to the camera's direction from the incident (north above, east to the right). The
    placement minimises the total angular mismatch over the page (Hungarian method on <= 12
    cameras: optimal and deterministic; a greedy pass could give the first camera the tile the
    next one needs far more). Directions use grid units, as if the cells were square. Later
    pages repeat this with the best remaining camera that `usable` accepts (default: any) on
    their big tile; if none is usable the big tile stays empty. `big_id` None leaves page 1's
    big tile empty. `incident` is accepted for symmetry with `select`: the picks already carry
    their bearing from it.
    """
    del incident  # the picks carry the bearings
    lay = LAYOUTS[layout] if isinstance(layout, str) else layout
    usable = usable or (lambda _cid: True)
    rest = [p for p in picks if p.camera_id != big_id]
    small = lay.tiles - 1
    view = _arrange_page(big_id, rest[:small], lay)
    rest = rest[small:]
    while rest:
        big = next((p for p in rest if usable(p.camera_id)), None)
        if big is not None:
            rest.remove(big)
        view += _arrange_page(big.camera_id if big else None, rest[:small], lay)
        rest = rest[small:]
    while view and view[-1] is None:
        view.pop()
    return view


def keep_positions(previous_view: Sequence[str | None], new_picks: Sequence[Pick],
                   tiles: int | None = None,
                   usable: Callable[[str], bool] | None = None) -> list[str | None]:
    """The view after R or the ranking changed: every camera still selected keeps its index;
    dropped cameras free their tiles; new cameras fill the freed tiles in rank order (lowest
    index first), then go on after the end.

    With `tiles` (the layout's tile count) and `usable`, a freed big tile (index a multiple of
    `tiles`) only takes a usable new camera; if there is none it stays empty. A camera listed
    twice in the previous view keeps its first tile.
    """
    wanted = {p.camera_id for p in new_picks}
    view: list[str | None] = []
    placed: set[str] = set()
    for cid in previous_view:
        keep = cid is not None and cid in wanted and cid not in placed
        view.append(cid if keep else None)
        if keep:
            placed.add(cid)  # type: ignore[arg-type]
    newcomers = [p.camera_id for p in new_picks if p.camera_id not in placed]
    for i, cid in enumerate(view):
        if cid is not None or not newcomers:
            continue
        if tiles and usable is not None and i % tiles == 0:
            pick = next((c for c in newcomers if usable(c)), None)
            if pick is None:
                continue
            newcomers.remove(pick)
            view[i] = pick
        else:
            view[i] = newcomers.pop(0)
    while newcomers:  # after the end, with the same rule for big tiles
        i = len(view)
        if tiles and tiles > 1 and usable is not None and i % tiles == 0:
            pick = next((c for c in newcomers if usable(c)), None)
            if pick is not None:
                newcomers.remove(pick)
            view.append(pick)
        else:
            view.append(newcomers.pop(0))
    while view and view[-1] is None:
        view.pop()
    return view
