"""Property tests for app/incidents.py (hypothesis)."""
from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from app.geometry import destination  # noqa: E402
from app.incidents import (Incident, Pick, covers, keep_positions, select,  # noqa: E402
                           signed_angle)
from app.registry import load_registry  # noqa: E402
from tests.conftest import registry_text  # noqa: E402

# Deterministic: the same examples on every run and machine, no example database.
DET = settings(derandomize=True, database=None, deadline=None)
angles = st.floats(min_value=0, max_value=360, allow_nan=False, exclude_max=True)
P = (22.5014, 88.3616)


@DET
@given(angles, angles)
def test_wrap_is_antisymmetric_and_in_range(a, b):
    d = signed_angle(a, b)
    assert -180 <= d < 180
    e = signed_angle(b, a)
    assert abs(d) == pytest.approx(abs(e), abs=1e-9)  # symmetric in size
    if abs(d) not in (0, 180) and abs(abs(d) - 180) > 1e-9:
        assert d == pytest.approx(-e, abs=1e-9)  # and opposite in sign


@DET
@given(angles, angles, st.floats(min_value=1, max_value=359), st.floats(0, 200),
       st.floats(0, 100), st.floats(0, 360))
def test_covers_is_monotonic(to_point, cam, fov, dist, acc, shift):
    """A wider fov, a longer range or a worse position accuracy never loses coverage, and
    turning the whole scene leaves coverage unchanged."""
    base = covers(dist, to_point, cam, fov, 100, acc)
    if base:
        assert covers(dist, to_point, cam, min(360.0, fov + 10), 100, acc)
        assert covers(dist, to_point, cam, fov, 150, acc)
        assert covers(dist, to_point, cam, fov, 100, acc + 5)
    turned = covers(dist, (to_point + shift) % 360, (cam + shift) % 360, fov, 100, acc)
    d1 = abs(signed_angle(to_point, cam))
    if abs(d1 - fov / 2) > 1e-6:  # away from the exact edge, where rounding may differ
        assert turned == base


def _scene_text(cams):
    out = []
    for i, (b, dist, facing, fov, rng) in enumerate(cams):
        lat, lon = destination(*P, b, dist)
        out.append(f"  - id: C{i:02d}\n    name: C{i}\n    ownership: police\n"
                   f"    station: jadavpur\n    location: {{lat: {lat:.9f}, lon: {lon:.9f}}}\n"
                   f"    coverage: {{bearing: {facing}, fov: {fov}, range_m: {rng}}}\n"
                   f"    streams: {{main: \"demo://junction\"}}\n")
    return registry_text("".join(out))


scene = st.lists(st.tuples(st.integers(0, 359), st.integers(1, 1500), st.integers(0, 359),
                           st.integers(1, 360), st.integers(1, 400)), min_size=1, max_size=12)


@settings(max_examples=40, derandomize=True, database=None, deadline=None)
@given(scene, st.sampled_from([100, 250, 500]), st.sampled_from([250, 500, 1000]))
def test_selection_grows_with_r_and_keeps_tiles(tmp_path_factory, cams, r1, r2):
    if r2 < r1:
        r1, r2 = r2, r1
    path = tmp_path_factory.mktemp("reg") / "cameras.yaml"
    path.write_text(_scene_text(cams), encoding="utf-8")
    reg = load_registry(path)
    assert reg.problems == []
    inc = Incident("p", *P, radius_m=r1)
    small, big = select(reg, inc), select(reg, inc.with_radius(r2))
    assert {p.camera_id for p in small} <= {p.camera_id for p in big}
    # a camera's tier and distance do not depend on R
    tiers = {p.camera_id: (p.tier, p.distance_m) for p in big}
    assert all(tiers[p.camera_id] == (p.tier, p.distance_m) for p in small)
    # the order is by (tier, distance, id)
    assert big == sorted(big, key=lambda p: (p.tier, p.distance_m, p.camera_id))
    view = [p.camera_id for p in small]
    after = keep_positions(view, big)
    assert after[:len(view)] == view


@DET
@given(st.lists(st.sampled_from("ABCDEFGHIJ"), max_size=10),
       st.lists(st.sampled_from("ABCDEFGHIJKLMN"), unique=True, max_size=14))
def test_keep_positions_properties(prev, new_ids):
    picks = [Pick(c, 1, 1.0, 0.0, "covers") for c in new_ids]
    view = keep_positions(prev, picks)
    shown = [c for c in view if c]
    assert sorted(shown) == sorted(new_ids)  # each selected camera exactly once
    seen = set()
    for i, c in enumerate(prev):
        if c in new_ids and c not in seen:
            assert view[i] == c  # kept its tile
            seen.add(c)
