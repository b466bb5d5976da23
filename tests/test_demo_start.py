"""`./nazar bench demo`'s start measurement (bench/demo_start.py) on the real main.py: it sees
the window and every tile of the first page live and moving, and the clips it drew."""
from __future__ import annotations

import pytest

from bench.demo_start import run_start

pytestmark = pytest.mark.e2e


def test_start_measurement_sees_the_window_and_moving_tiles(tmp_path):
    first = run_start(tmp_path, timeout_s=120, linger_s=0.2)
    assert not first.error, first.error
    assert first.window_shown_s is not None and first.tiles == 9
    assert sorted(first.live_s) == sorted(first.moving_s) == list(range(1, 10))
    assert all(first.live_s[k] <= first.moving_s[k] for k in first.live_s)
    assert first.clips == 9 and first.cache_mb > 0
    warm = run_start(tmp_path, timeout_s=120, linger_s=0.2)  # the same clips, none drawn
    assert not warm.error and warm.clips == 9 and len(warm.moving_s) == 9
