"""One stream-status poller for the whole program (no Qt).

The walls' tiles, the status bar and the map all show stream states. They do not each
poll: one timer (the main window's) calls `StatusPoller.poll()` a few times a second, which
reads every open feed once, and everyone reads the result.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from app.feeds import FeedManager
from app.layouts import Event
from app.streams import State, StatusReading
from app.styles import STATE_RANK

POLL_MS = 200  # states change a few times a second; frames 25 times (the display timer)


class StatusPoller:
    def __init__(self, feeds: FeedManager, clock: Callable[[], float] = time.monotonic):
        self.feeds = feeds
        self.clock = clock
        self.readings: dict[str, StatusReading] = {}  # feed key -> reading
        self.camera_states: dict[str, str] = {}  # camera id -> best state of its feeds
        self.polled = Event("polled")
        self.polls = 0

    def poll(self) -> None:
        now = self.clock()
        readings: dict[str, StatusReading] = {}
        states: dict[str, str] = {}
        for f in self.feeds.feeds():
            r = readings[f.key] = f.status.reading(now)
            old = states.get(f.camera_id)
            if old is None or STATE_RANK.get(r.state.value, 9) < STATE_RANK.get(old, 9):
                states[f.camera_id] = r.state.value
        self.readings, self.camera_states = readings, states
        self.polls += 1
        self.polled.emit()

    def reading(self, feed_key: str) -> StatusReading | None:
        return self.readings.get(feed_key)

    def live_count(self) -> tuple[int, int]:
        """(live streams, open streams) at the last poll."""
        live = sum(1 for r in self.readings.values() if r.state is State.LIVE)
        return live, len(self.readings)


def state_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """What a map must be told: changed states, and "idle" for cameras no longer shown."""
    changes = {cam: st for cam, st in new.items() if old.get(cam) != st}
    changes.update({cam: "idle" for cam in old if cam not in new})
    return changes
