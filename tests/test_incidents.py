"""Alarm mode's core (app/incidents.py): geometry cases checked by hand, ranking, the wall."""
from __future__ import annotations

import itertools
import json
import math
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from app.geometry import destination
from app.incidents import (NEAR_M, RADIUS_STEPS, Incident, Pick, _assign, alarm_layout_name,
                           bearing_deg, choose_big, compass_arrangement, covers, haversine_m,
                           keep_positions, radius_down, radius_up, reason_chip, select,
                           signed_angle, site_at, tile_directions)
from app.layouts import LAYOUTS
from app.registry import load_registry
from tests.conftest import DEMO_REGISTRY, ROOT, registry_text

P = (22.5014, 88.3616)  # the incident point: South City Mall (sourced coordinates)


# -- the wrap and the cone, by hand ---------------------------------------------------------------
@pytest.mark.parametrize("to_point, cam, expected", [
    (5, 350, 15.0),     # across north, clockwise
    (330, 350, -20.0),  # across north, anticlockwise
    (350, 10, -20.0),
    (10, 350, 20.0),
    (180, 0, -180.0),   # straight behind: -180 (the range is [-180, 180))
    (0, 180, -180.0),
    (90, 90, 0.0),
    (359.5, 0.5, -1.0),
])
def test_signed_angle_wraps_through_north(to_point, cam, expected):
    assert signed_angle(to_point, cam) == pytest.approx(expected, abs=1e-9)


def test_cone_across_north():
    # bearing 350, fov 40: the cone spans 330..10 through north.
    assert covers(50, 5, 350, 40, 100)        # d = +15
    assert covers(50, 9.9, 350, 40, 100)      # d = +19.9
    assert not covers(50, 10, 350, 40, 100)   # d = +20, the edge: outside (|d| < fov/2)
    assert not covers(50, 330, 350, 40, 100)  # d = -20, the other edge: outside (the issue)
    assert covers(50, 330.1, 350, 40, 100)
    assert not covers(50, 325, 350, 40, 100)  # d = -25
    assert not covers(50, 170, 350, 40, 100)  # behind


def test_fisheye_covers_every_direction_but_not_beyond_its_range():
    assert all(covers(20, b, 0, 360, 25) for b in (0, 90, 180, 270, 359.9))
    assert not covers(30, 0, 0, 360, 25)


@pytest.mark.parametrize("bearing, fov", [(90, None), (90, 0), (None, 60), (None, None)])
def test_unknown_direction_never_covers_even_at_the_point(bearing, fov):
    assert not covers(50, 90, bearing, fov, 100)
    assert not covers(0, None, bearing, fov, 100)
    assert not covers(0, None, bearing, fov, 100, accuracy_m=30)


def test_distance_zero_and_the_5_m_rule():
    assert covers(0, None, 90, 60, 100)       # at the point: no bearing needed
    assert covers(NEAR_M, 270, 90, 60, 100)   # 5 m behind: still counts
    assert covers(4.9, 270, 90, 60, 100)
    assert not covers(5.1, 270, 90, 60, 100)  # just beyond, and behind: no


def test_position_accuracy_counts_as_near():
    # A pin on a building centroid, 30 m accuracy: anything within 30 m counts.
    assert covers(29, 270, 90, 60, 100, accuracy_m=30)
    assert not covers(31, 270, 90, 60, 100, accuracy_m=30)


def test_position_accuracy_widens_the_cone_by_asin_accuracy_over_distance():
    # 30 m accuracy, 100 m away: asin(0.3) = 17.46°; half-angle 30 -> 47.46 either side.
    assert covers(100, 90 + 47.4, 90, 60, 200, accuracy_m=30)
    assert not covers(100, 90 + 47.6, 90, 60, 200, accuracy_m=30)
    assert not covers(100, 90 + 47.4, 90, 60, 200)  # without accuracy: 30° only
    # ... and lengthens the range by the accuracy
    assert covers(129, 90, 90, 60, 100, accuracy_m=30)
    assert not covers(131, 90, 90, 60, 100, accuracy_m=30)


@pytest.mark.parametrize("factor, inside", [(0.999, True), (1.0, True), (1.001, False)])
def test_camera_range_edge(factor, inside):
    assert covers(120 * factor, 45, 45, 60, 120) is inside


def test_missing_range_does_not_limit():
    assert covers(4000, 45, 45, 60, None)


# -- distance and bearing -------------------------------------------------------------------------
# References: geodesic distance and initial azimuth on the WGS84 ellipsoid, computed with
# geographiclib 2.1 (C. F. F. Karney's algorithm), Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2),
# and checked below against a Vincenty (1975) inverse written in this file. Coordinates from
# /work/shared/reference/kolkata-demo-data.md (approximate places; the distances are exact for
# these coordinates).
KOLKATA_PAIRS = [
    # (from, lat, lon, to, lat, lon, geodesic metres, initial azimuth degrees)
    ("Lalbazar HQ", 22.5713, 88.3512, "South City Mall", 22.5014, 88.3616, 7814.140, 172.13),
    ("Howrah Bridge (Kolkata end)", 22.5836, 88.3497, "Sealdah station", 22.5677, 88.3708,
     2794.420, 129.05),
    ("Esplanade", 22.5646, 88.3514, "Park Street x Chowringhee", 22.553, 88.351, 1285.218,
     181.83),
    ("Quest Mall", 22.5393, 88.3654, "Forum Courtyard", 22.5383, 88.3516, 1423.885, 265.54),
    ("Acropolis Mall", 22.5146, 88.3932, "Mani Square", 22.5779, 88.4013, 7059.040, 6.78),
    ("Lake Mall", 22.517, 88.352, "Gariahat crossing", 22.519, 88.366, 1457.289, 81.26),
    ("Metropolis Mall", 22.4818, 88.396, "Lalbazar HQ", 22.5713, 88.3512, 10930.217, 335.07),
    ("New Market", 22.56, 88.3524, "INOX Metro", 22.5645, 88.3525, 498.427, 1.18),
    ("Exide crossing", 22.5405, 88.3495, "Howrah Bridge midspan", 22.5851, 88.3469, 4946.146,
     356.90),
    ("jurisdiction SW corner", 22.44, 88.26, "jurisdiction NE corner", 22.65, 88.5, 33915.234,
     46.67),
]


def vincenty_inverse(lat1, lon1, lat2, lon2):
    """Vincenty's inverse formula on WGS84: (metres, initial azimuth degrees)."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    u1 = math.atan((1 - f) * math.tan(math.radians(lat1)))
    u2 = math.atan((1 - f) * math.tan(math.radians(lat2)))
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(200):
        sin_l, cos_l = math.sin(lam), math.cos(lam)
        sin_s = math.hypot(math.cos(u2) * sin_l,
                           math.cos(u1) * math.sin(u2) - math.sin(u1) * math.cos(u2) * cos_l)
        cos_s = math.sin(u1) * math.sin(u2) + math.cos(u1) * math.cos(u2) * cos_l
        sigma = math.atan2(sin_s, cos_s)
        sin_a = math.cos(u1) * math.cos(u2) * sin_l / sin_s
        cos2_a = 1 - sin_a ** 2
        cos_2sm = cos_s - 2 * math.sin(u1) * math.sin(u2) / cos2_a
        c = f / 16 * cos2_a * (4 + f * (4 - 3 * cos2_a))
        prev = lam
        lam = big_l + (1 - c) * f * sin_a * (
            sigma + c * sin_s * (cos_2sm + c * cos_s * (-1 + 2 * cos_2sm ** 2)))
        if abs(lam - prev) < 1e-13:
            break
    u_sq = cos2_a * (a * a - b * b) / (b * b)
    k_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    k_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    d_sigma = k_b * sin_s * (cos_2sm + k_b / 4 * (
        cos_s * (-1 + 2 * cos_2sm ** 2)
        - k_b / 6 * cos_2sm * (-3 + 4 * sin_s ** 2) * (-3 + 4 * cos_2sm ** 2)))
    s = b * k_a * (sigma - d_sigma)
    azi = math.degrees(math.atan2(math.cos(u2) * math.sin(lam),
                                  math.cos(u1) * math.sin(u2)
                                  - math.sin(u1) * math.cos(u2) * math.cos(lam)))
    return s, azi % 360


@pytest.mark.parametrize("a, lat1, lon1, b, lat2, lon2, ref_m, ref_azi", KOLKATA_PAIRS,
                         ids=[f"{p[0]}-{p[3]}" for p in KOLKATA_PAIRS])
def test_haversine_within_half_a_percent_of_the_ellipsoid(a, lat1, lon1, b, lat2, lon2,
                                                          ref_m, ref_azi):
    s, azi = vincenty_inverse(lat1, lon1, lat2, lon2)
    assert s == pytest.approx(ref_m, abs=0.002)  # the two references agree to 2 mm
    assert azi == pytest.approx(ref_azi, abs=0.006)
    assert abs(haversine_m(lat1, lon1, lat2, lon2) - ref_m) <= 0.005 * ref_m
    assert haversine_m(lat1, lon1, lat2, lon2) == haversine_m(lat2, lon2, lat1, lon1)
    # the spherical initial bearing is within 0.2° of the ellipsoidal azimuth here
    assert abs(signed_angle(bearing_deg(lat1, lon1, lat2, lon2), ref_azi)) < 0.2


def test_raw_degrees_would_be_wrong_by_more_than_the_tolerance():
    """Why haversine: Pythagoras on raw degrees overstates east-west distances by 1/cos(lat)."""
    _a, lat1, lon1, _b, lat2, lon2, ref_m, _ = KOLKATA_PAIRS[3]  # Quest -> Forum, east-west
    raw = math.hypot(lat2 - lat1, lon2 - lon1) * 111_320.0
    assert abs(raw - ref_m) > 0.05 * ref_m


# -- radius steps and the incident ----------------------------------------------------------------
def test_radius_steps():
    assert RADIUS_STEPS == (100, 250, 500, 1000)
    assert [radius_up(r) for r in (50, 100, 250, 300, 500, 1000, 5000)] == \
        [100, 250, 500, 500, 1000, 1000, 1000]
    assert [radius_down(r) for r in (50, 100, 250, 300, 500, 1000, 5000)] == \
        [100, 100, 100, 250, 250, 500, 1000]


def test_incident_validation_and_utc():
    ist = timezone(timedelta(hours=5, minutes=30))
    inc = Incident("scm-2016", *P, kind="fire", priority=5, note="smoke, 4F food court",
                   radius_m=100, uncertainty_m=300, site_id="south-city-mall",
                   raised_at=datetime(2016, 12, 4, 9, 15, tzinfo=ist))
    assert inc.raised_at == datetime(2016, 12, 4, 3, 45, tzinfo=timezone.utc)
    assert inc.raised_at.utcoffset() == timedelta(0)
    assert inc.search_radius_m == 300  # R never below the point's uncertainty
    assert inc.with_radius(500).search_radius_m == 500
    for bad in (dict(kind="riot"), dict(priority=0), dict(priority=6), dict(priority=True),
                dict(radius_m=0), dict(uncertainty_m=-1), dict(lat=91.0),
                dict(lon=float("nan")), dict(raised_at=datetime(2016, 12, 4, 9, 15))):
        with pytest.raises(ValueError):
            Incident("x", **{"lat": P[0], "lon": P[1], **bad})


# -- selection on a hand-made registry ------------------------------------------------------------
def cam(cid, bearing_from_p, dist, *, facing=None, fov=60, range_m=100, site=None, extra=""):
    """A camera `dist` metres from P along `bearing_from_p`; facing: its coverage bearing
    ('P' = towards the incident point, None = no coverage)."""
    lat, lon = destination(*P, bearing_from_p, dist) if dist else P
    if facing == "P":
        facing = (bearing_from_p + 180) % 360
    cov = "" if facing is None else \
        f"    coverage: {{bearing: {facing}, fov: {fov}, range_m: {range_m}}}\n"
    owner = f"    ownership: private\n    site: {site}\n" if site else \
        "    ownership: police\n    station: jadavpur\n"
    return (f"  - id: {cid}\n    name: Camera {cid}\n{owner}"
            f"    location: {{lat: {lat:.9f}, lon: {lon:.9f}}}\n{cov}"
            f"    streams: {{main: \"demo://junction\"}}\n{extra}")


SCENE = [
    cam("A-north-faces-P", 0, 80, facing="P"),                    # 1 covers, 80 m
    cam("B-east-faces-P", 90, 40, facing="P"),                    # 1 covers, 40 m
    cam("C-west-faces-west", 270, 60, facing=270),                # 4 faces away
    cam("D-south-short-range", 180, 150, facing="P", range_m=80),  # 4 out of range
    cam("E-ptz", 200, 30, facing="P", extra="    ptz: true\n"),   # 3 PTZ (never 1)
    cam("F-no-coverage", 45, 120),                                # 3 direction unknown
    cam("G-site-L4-away", 300, 20, facing=300, site="south-city-mall",
        extra="    level: L4\n    indoor: true\n"),               # 2 site
    cam("H-site-far", 135, 400, facing=0, site="south-city-mall"),  # 2 site, beyond R
    cam("I-police-far", 135, 300, facing="P", range_m=400),       # out of R: not selected
    cam("J-site-covers", 180, 25, facing="P", site="south-city-mall",
        extra="    level: L4\n"),                                 # 1 covers, of the site
    cam("K-fisheye", 90, 10, facing=0, fov=360, range_m=25),      # 1 covers, 10 m
    cam("L-private-pin", 0, 25, facing=0, site="south-city-mall",
        extra="    position_accuracy_m: 30\n    access: incident_only\n"),  # 1 (within 30 m)
]
EXPECTED = [
    ("K-fisheye", 1, "covers"), ("J-site-covers", 1, "covers"),
    ("L-private-pin", 1, "covers"), ("B-east-faces-P", 1, "covers"),
    ("A-north-faces-P", 1, "covers"),
    ("G-site-L4-away", 2, "site"), ("H-site-far", 2, "site"),
    ("E-ptz", 3, "ptz"), ("F-no-coverage", 3, "no direction"),
    ("C-west-faces-west", 4, "faces away"), ("D-south-short-range", 4, "out of range"),
]


@pytest.fixture
def scene(write_yaml):
    reg = load_registry(write_yaml(registry_text("".join(SCENE))))
    assert reg.problems == [], [str(p) for p in reg.problems]
    return reg


def incident(**kw):
    kw = {"radius_m": 250, "site_id": "south-city-mall", **kw}
    return Incident("test", *P, kind="fire", **kw)


def test_ranking_tiers_and_order(scene):
    picks = select(scene, incident())
    assert [(p.camera_id, p.tier, p.reason) for p in picks] == EXPECTED
    by_id = {p.camera_id: p for p in picks}
    assert by_id["B-east-faces-P"].distance_m == pytest.approx(40.0, abs=0.05)
    assert by_id["B-east-faces-P"].bearing_from_incident_deg == pytest.approx(90.0, abs=0.1)
    assert by_id["H-site-far"].distance_m == pytest.approx(400.0, abs=0.05)  # beyond R: site
    assert "I-police-far" not in by_id


def test_without_a_site_the_site_tier_is_empty(scene):
    picks = select(scene, incident(site_id=None))
    got = {p.camera_id: (p.tier, p.reason) for p in picks}
    assert "H-site-far" not in got  # 400 m: only the site brought it in
    assert got["G-site-L4-away"] == (4, "faces away")
    assert all(t != 2 for t, _r in got.values())


def test_uncertainty_widens_the_search(scene):
    ids = {p.camera_id for p in select(scene, incident(uncertainty_m=350))}
    assert "I-police-far" in ids  # R = max(250, 350)


@pytest.mark.parametrize("factor, inside", [(0.999, True), (1.001, False)])
@pytest.mark.parametrize("radius", [100, 250, 1000])
def test_search_radius_edge(write_yaml, radius, factor, inside):
    text = registry_text(cam("EDGE", 63, radius * factor, facing="P"))
    reg = load_registry(write_yaml(text))
    ids = [p.camera_id for p in select(reg, incident(radius_m=radius, site_id=None))]
    assert ids == (["EDGE"] if inside else [])


def test_camera_at_the_incident_point(write_yaml):
    reg = load_registry(write_yaml(registry_text(cam("AT-P", 0, 0, facing=90))))
    (pick,) = select(reg, incident(site_id=None))
    assert (pick.tier, pick.distance_m, pick.bearing_from_incident_deg) == (1, 0.0, None)


def test_equal_distances_are_ordered_by_id(write_yaml):
    # Mirror images east and west of P: the very same haversine distance.
    text = registry_text(cam("Z-east", 90, 50, facing="P") + cam("M-west", 270, 50, facing="P")
                         + cam("A-east-away", 90, 50, facing=90))
    reg = load_registry(write_yaml(text))
    picks = select(reg, incident(site_id=None))
    assert [p.camera_id for p in picks] == ["M-west", "Z-east", "A-east-away"]
    assert picks[0].distance_m == picks[1].distance_m


def test_ranking_identical_across_runs_and_file_orders(write_yaml, scene):
    first = select(scene, incident())
    assert all(select(scene, incident()) == first for _ in range(100))
    rnd = random.Random(4)
    for n in range(5):
        cams = SCENE[:]
        rnd.shuffle(cams)
        reg = load_registry(write_yaml(registry_text("".join(cams)), name=f"shuffled{n}.yaml"))
        assert select(reg, incident()) == first


_SUBPROCESS = """
import json
from app.incidents import Incident, select, compass_arrangement, choose_big, alarm_layout_name
from app.registry import load_registry
reg = load_registry({path!r})
inc = Incident("x", 22.5015, 88.3617, kind="fire", radius_m=1000, site_id="south-city-mall")
picks = select(reg, inc)
lay = alarm_layout_name(len(picks))
big = choose_big(picks, lambda c: not c.endswith("1"))
print(json.dumps([[p.camera_id, p.tier, p.distance_m, p.reason] for p in picks]
                 + [compass_arrangement(picks, big, lay, inc)]))
"""


def test_ranking_identical_across_process_restarts():
    outs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        res = subprocess.run([sys.executable, "-c", _SUBPROCESS.format(path=str(DEMO_REGISTRY))],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert len(json.loads(outs[0])) > 15  # a real, non-trivial list was compared


def test_reason_chips(scene):
    picks = {p.camera_id: p for p in select(scene, incident())}
    chip = {cid: reason_chip(p, scene.cameras[cid]) for cid, p in picks.items()}
    assert chip["B-east-faces-P"] == "covers · 40 m"
    assert chip["G-site-L4-away"] == "site · L4"
    assert chip["H-site-far"] == "site · 400 m"  # no level: the distance
    assert chip["E-ptz"] == "near · PTZ"
    assert chip["F-no-coverage"] == "near · direction unknown"
    assert chip["C-west-faces-west"] == "near · faces away · 60 m"
    assert chip["D-south-short-range"] == "near · out of range · 150 m"
    assert chip["L-private-pin"] == "covers · 25 m · incident only"
    assert reason_chip(Pick("x", 4, 1234.0, 10.0, "faces away")) == "near · faces away · 1.2 km"


def test_site_at_uses_the_footprint(write_yaml):
    sites = """\
  - id: south-city-mall
    name: South City Mall
    kind: mall
    station: jadavpur
    owner: Demo Owner Pvt Ltd
    contact: {name: Security control room, phone: "+91 98300 00000"}
    address: 375 Prince Anwar Shah Rd
    location: {lat: 22.5014, lon: 88.3616}
    footprint: [{lat: 22.5020, lon: 88.3608}, {lat: 22.5020, lon: 88.3624},
                {lat: 22.5008, lon: 88.3624}, {lat: 22.5008, lon: 88.3608}]
"""
    reg = load_registry(write_yaml(registry_text(sites=sites)))
    assert reg.problems == []
    assert site_at(reg, *P) == "south-city-mall"
    assert site_at(reg, 22.5019, 88.3623) == "south-city-mall"
    assert site_at(reg, 22.5021, 88.3616) is None  # just north of the outline
    assert site_at(reg, 22.5014, 88.3625) is None  # just east


# -- on the wall ----------------------------------------------------------------------------------
@pytest.mark.parametrize("count, name", [(0, "1+5"), (1, "1+5"), (6, "1+5"), (7, "1+7"),
                                         (8, "1+7"), (9, "1+12"), (13, "1+12"), (40, "1+12")])
def test_alarm_layout_name(count, name):
    assert alarm_layout_name(count) == name
    assert LAYOUTS[name].tiles >= min(count, 13)


def picks_of(*ids_bearings):
    return [Pick(cid, 1, 10.0 * (i + 1), b, "covers") for i, (cid, b) in enumerate(ids_bearings)]


def test_choose_big_never_takes_an_unusable_camera():
    picks = picks_of(("OFF", 0), ("LIVE", 90), ("LIVE2", 180))
    assert choose_big(picks, lambda c: c != "OFF") == "LIVE"
    assert choose_big(picks, lambda c: True) == "OFF"
    assert choose_big(picks, lambda c: False) is None
    assert choose_big([], lambda c: True) is None


def test_tile_directions_of_the_alarm_layouts():
    # 1+12: the big 2x2 cell in the middle of 4x4; tile 1 is the top-left corner.
    d = tile_directions(LAYOUTS["1+12"])
    assert len(d) == 12
    assert d[0] == pytest.approx(315.0)   # (0,0): north-west
    assert d[3] == pytest.approx(45.0)    # (3,0): north-east
    assert d[11] == pytest.approx(135.0)  # (3,3): south-east
    # 1+5: big cell top-left; the small tiles lie east and south only.
    d5 = tile_directions(LAYOUTS["1+5"])
    assert d5[0] == pytest.approx(math.degrees(math.atan2(1.5, 0.5)))  # (2,0): 71.6°


def _cell_of(layout, view, cid):
    return layout.cells[view.index(cid)]


def test_compass_arrangement_reads_like_the_ground():
    lay = LAYOUTS["1+12"]
    picks = picks_of(("BIG", 10), ("N", 0), ("E", 90), ("S", 180), ("W", 270),
                     ("NE", 45), ("SW", 225))
    view = compass_arrangement(picks, "BIG", lay, incident())
    assert view[0] == "BIG" and len(view) <= 13 and len([c for c in view if c]) == 7
    big = lay.cells[0]
    assert _cell_of(lay, view, "N").row < big.row                       # above
    assert _cell_of(lay, view, "S").row >= big.row + big.rows           # below
    assert _cell_of(lay, view, "E").col >= big.col + big.cols           # right
    assert _cell_of(lay, view, "W").col < big.col                       # left
    ne = _cell_of(lay, view, "NE")
    assert (ne.col, ne.row) == (3, 0)  # the north-east corner
    sw = _cell_of(lay, view, "SW")
    assert (sw.col, sw.row) == (0, 3)


def test_compass_arrangement_in_1_plus_5_north_goes_as_high_as_possible():
    lay = LAYOUTS["1+5"]  # nothing lies north or west of the big cell
    view = compass_arrangement(picks_of(("BIG", None), ("S", 180), ("N", 0)), "BIG", lay)
    n, s = _cell_of(lay, view, "N"), _cell_of(lay, view, "S")
    assert n.row == 0 and s.row == 2  # north: the top-right tile; south: the bottom row


def test_compass_arrangement_pages_by_rank_and_keeps_offline_off_big_tiles():
    lay = LAYOUTS["1+12"]
    picks = picks_of(*[(f"C{i:02d}", (i * 37) % 360) for i in range(30)])
    view = compass_arrangement(picks, "C02", lay, usable=lambda c: c != "C13")
    page1 = view[:13]
    assert page1[0] == "C02"
    # every camera ranked above the overflow is on page 1
    assert set(page1) == {f"C{i:02d}" for i in range(13)}
    assert view[13] == "C14"  # page 2's big tile: the best remaining usable camera (not C13)
    assert "C13" in view[14:26]
    assert sorted(c for c in view if c) == sorted(p.camera_id for p in picks)
    assert len(set(c for c in view if c)) == 30  # each camera once


def test_compass_arrangement_big_none_and_few_cameras():
    lay = LAYOUTS["1+5"]
    view = compass_arrangement(picks_of(("A", 90)), None, lay)
    assert view[0] is None and view.count("A") == 1 and len(view) <= 6


def test_assignment_is_optimal_against_brute_force():
    rnd = random.Random(7)
    for _ in range(60):
        n = rnd.randint(1, 5)
        m = rnd.randint(n, 6)
        cost = [[rnd.randint(0, 18000) for _ in range(m)] for _ in range(n)]
        got = _assign(cost)
        assert len(set(got)) == n
        best = min(sum(cost[i][c] for i, c in enumerate(perm))
                   for perm in itertools.permutations(range(m), n))
        assert sum(cost[i][c] for i, c in enumerate(got)) == best


def test_keep_positions_keeps_tiles_and_fills_freed_ones_in_rank_order():
    prev = ["A", "B", "C", "D", "E", "F"]
    new = picks_of(("B", 0), ("X", 0), ("A", 0), ("Y", 0), ("F", 0))
    assert keep_positions(prev, new) == ["A", "B", "X", "Y", None, "F"]
    # more newcomers than freed tiles: they go on after the end, in rank order
    new = picks_of(("P", 0), ("A", 0), ("Q", 0), ("R", 0))
    assert keep_positions(["A", "B"], new) == ["A", "P", "Q", "R"]
    # nothing changed: nothing moves
    assert keep_positions(prev, picks_of(*[(c, 0) for c in reversed(prev)])) == prev


def test_keep_positions_never_puts_an_unusable_newcomer_on_a_big_tile():
    new = picks_of(("OFF", 0), ("Y", 0), ("B", 0), ("C", 0))
    view = keep_positions(["A", "B", "C"], new, tiles=6, usable=lambda c: c != "OFF")
    assert view == ["Y", "B", "C", "OFF"]
    view = keep_positions([], picks_of(("OFF", 0)), tiles=6, usable=lambda c: c != "OFF")
    assert view == [None, "OFF"]


def test_keep_positions_when_r_grows_on_the_demo():
    reg = load_registry(DEMO_REGISTRY)
    inc = Incident("x", 22.5014, 88.3616, kind="fire", radius_m=100, site_id="south-city-mall")
    small = select(reg, inc)
    lay = LAYOUTS[alarm_layout_name(len(small))]
    view = compass_arrangement(small, choose_big(small, lambda c: True), lay, inc)
    big = select(reg, inc.with_radius(1000))
    assert {p.camera_id for p in small} < {p.camera_id for p in big}
    after = keep_positions(view, big, tiles=lay.tiles, usable=lambda c: True)
    assert all(after[i] == cid for i, cid in enumerate(view) if cid)  # nobody moved
    assert sorted(c for c in after if c) == sorted(p.camera_id for p in big)
    # and back down: the survivors still keep their tiles
    back = keep_positions(after, small)
    assert all(back[i] == cid for i, cid in enumerate(after) if cid and cid in back)
    assert sorted(c for c in back if c) == sorted(p.camera_id for p in small)
