"""Waiting on a condition (never a fixed sleep for an outcome)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `predicate` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)  # polling a condition, not a fixed wait for an outcome
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
