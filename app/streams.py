"""The state of one stream, as plain Python: no threads, no clocks of its own.

The worker thread reports what happened (`opening`, `opened`, `frame`, `failed`,
`fatal`); the GUI asks `reading(now)` what to show. "Stalled" is derived from the age of
the newest frame at the moment of asking, so a worker stuck inside a blocking read still
shows up as stalled on the tile within `stall_after` seconds.
"""
from __future__ import annotations

import enum
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass


class State(enum.Enum):
    CONNECTING = "connecting"  # first attempt to open
    LIVE = "live"  # frames arriving
    STALLED = "stalled"  # open, but no new frame for `stall_after` seconds
    RECONNECTING = "reconnecting"  # lost; trying again with backoff
    OFFLINE = "offline"  # `offline_after` attempts in a row failed; still retrying slowly
    ERROR = "error"  # cannot work without a change (bad address, missing file); no retry
    CLOSED = "closed"  # stopped on purpose


@dataclass(frozen=True)
class StreamTimeouts:
    open_s: float = 5.0  # cv2 CAP_PROP_OPEN_TIMEOUT_MSEC
    read_s: float = 5.0  # cv2 CAP_PROP_READ_TIMEOUT_MSEC
    stall_after_s: float = 2.0  # no frame for this long: "stalled" on the tile
    offline_after: int = 3  # consecutive failed attempts before "offline"


class Backoff:
    """Exponential backoff with full jitter and a cap: delay in [base*f^(n-1)/2, base*f^(n-1)]."""

    def __init__(self, base_s: float = 1.0, factor: float = 2.0, cap_s: float = 30.0,
                 rng: random.Random | None = None):
        if base_s <= 0 or factor < 1 or cap_s < base_s:
            raise ValueError("need base_s > 0, factor >= 1 and cap_s >= base_s")
        self.base_s, self.factor, self.cap_s = base_s, factor, cap_s
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        self.attempt += 1
        ceiling = min(self.cap_s, self.base_s * self.factor ** (self.attempt - 1))
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True)
class StatusReading:
    """What a tile shows about its stream at one moment."""

    state: State
    message: str
    frame_age_s: float | None  # None until the first frame
    fps: float
    frames: int
    retry_in_s: float | None = None
    first_frame_latency_s: float | None = None  # from the first open to the first frame
    connect_s: float | None = None  # from the first open until the source was open
    reconnects: int = 0  # attempts to open again after the first
    read_errors: int = 0  # an open stream that stopped giving frames (a failed decode or a
    #                       lost connection: OpenCV reports both as a failed read)
    path: str = ""  # relay hubs: "via Lalbazar-1", "direct · Lalbazar-1 down"; "" no hub
    decoder: str = ""  # "h264 · PyAV software" (app/decoders.py); "" before the first open
    keyframe_s: float | None = None  # the camera's keyframe interval, measured; None unknown
    standby: bool = False  # kept open decoding keyframes only (a tour's next page)
    catching_up: bool = False  # a live camera fell behind: keyframes only until it catches up


@dataclass(frozen=True)
class Change:
    """One entry of a stream's history: when (wall-clock, epoch s), the state, and why."""

    at: float
    state: str
    reason: str = ""


def history_lines(changes: list[Change]) -> list[str]:
    """A stream's history for the officer, newest first: "21:42:07  offline  connection
    refused by 10.0.0.5:554" (local time; the date when it is not today)."""
    today = time.strftime("%Y-%m-%d")
    lines = []
    for c in reversed(changes):
        day = time.strftime("%Y-%m-%d", time.localtime(c.at))
        when = time.strftime("%H:%M:%S", time.localtime(c.at))
        if day != today:
            when = f"{day} {when}"
        lines.append(f"{when}  {c.state}" + (f"  {c.reason}" if c.reason else ""))
    return lines


class StreamStatus:
    """The explicit state machine of one stream. Thread-safe: worker writes, GUI reads.

    Every change of state is also kept in a short history (`history()`, the newest
    HISTORY_KEEP) and counted (`changes()`), for the officer ("what happened to this camera
    tonight?") and for /metrics."""

    FPS_WINDOW_S = 2.0
    HISTORY_KEEP = 100

    def __init__(self, timeouts: StreamTimeouts | None = None):
        self.timeouts = timeouts or StreamTimeouts()
        self._lock = threading.Lock()
        self._state = State.CONNECTING
        self._message = ""
        self._last_frame_t: float | None = None
        self._frames = 0
        self._recent: deque[float] = deque()
        self._failures = 0
        self._retry_at: float | None = None
        self._started_t: float | None = None
        self._first_frame_latency: float | None = None
        self._connect_s: float | None = None
        self._ever_live = False
        self._opens = 0
        self._is_open = False
        self._read_errors = 0
        self._path = ""
        self._history: deque[Change] = deque(maxlen=self.HISTORY_KEEP)
        self._changes: Counter[str] = Counter()
        self._last_logged = ""
        self._log(State.CONNECTING.value)

    # -- events from the worker ---------------------------------------------------------------
    def opening(self, now: float) -> None:
        with self._lock:
            if self._started_t is None:
                self._started_t = now
            self._opens += 1
            self._retry_at = None
            if self._state in (State.CLOSED, State.ERROR):
                return
            if self._failures == 0 and not self._ever_live:
                self._state = State.CONNECTING
            elif self._failures < self.timeouts.offline_after:
                self._state = State.RECONNECTING
                self._log(State.RECONNECTING.value, self._message)

    def opened(self, now: float) -> None:
        """The source is open; frames should follow. State changes with the first frame."""
        with self._lock:
            if self._connect_s is None and self._started_t is not None:
                self._connect_s = now - self._started_t
            self._is_open = True

    def frame(self, now: float) -> None:
        with self._lock:
            if self._state in (State.CLOSED, State.ERROR):
                return
            self._frames += 1
            self._last_frame_t = now
            self._recent.append(now)
            while self._recent and now - self._recent[0] > self.FPS_WINDOW_S:
                self._recent.popleft()
            if self._first_frame_latency is None and self._started_t is not None:
                self._first_frame_latency = now - self._started_t
            self._state = State.LIVE
            self._ever_live = True
            self._failures = 0
            self._message = ""
            self._log(State.LIVE.value)

    def failed(self, now: float, message: str, retry_in_s: float) -> None:
        """An open or read failed; the worker will try again in `retry_in_s`."""
        with self._lock:
            if self._is_open:
                self._read_errors += 1
                self._is_open = False
            if self._state in (State.CLOSED, State.ERROR):
                return
            self._failures += 1
            self._message = message
            self._retry_at = now + retry_in_s
            self._recent.clear()
            if self._failures >= self.timeouts.offline_after:
                self._state = State.OFFLINE
            else:
                self._state = State.RECONNECTING
            self._log(self._state.value, message)

    def set_path(self, path: str) -> None:
        """Which way the stream comes (relay hubs): shown on the tile."""
        with self._lock:
            self._path = path

    def fatal(self, message: str) -> None:
        with self._lock:
            if self._state is not State.CLOSED:
                self._state = State.ERROR
                self._message = message
                self._retry_at = None
                self._log(State.ERROR.value, message)

    def closed(self) -> None:
        with self._lock:
            self._state = State.CLOSED
            self._retry_at = None
            self._log(State.CLOSED.value)

    def _log(self, state: str, reason: str = "") -> None:
        """Record a change of state (called with the lock held, or from __init__)."""
        if state == self._last_logged:
            return
        self._last_logged = state
        self._history.append(Change(time.time(), state, reason))
        self._changes[state] += 1

    def history(self) -> list[Change]:
        with self._lock:
            return list(self._history)

    def changes(self) -> dict[str, int]:
        """How many times the stream entered each state (for /metrics)."""
        with self._lock:
            return dict(self._changes)

    # -- reading -----------------------------------------------------------------------------
    @property
    def failures(self) -> int:
        with self._lock:
            return self._failures

    def reading(self, now: float) -> StatusReading:
        with self._lock:
            age = None if self._last_frame_t is None else max(0.0, now - self._last_frame_t)
            state = self._state
            if state is State.LIVE and age is not None and age > self.timeouts.stall_after_s:
                state = State.STALLED
            # Frames in the last window, divided by the window: robust against the burst of
            # buffered frames that a network stream delivers right after connecting.
            recent = sum(1 for t in self._recent if now - t <= self.FPS_WINDOW_S)
            fps = recent / self.FPS_WINDOW_S if state is State.LIVE else 0.0
            retry = None if self._retry_at is None else max(0.0, self._retry_at - now)
            message = self._message
            if state is State.STALLED:
                message = f"no new frame for {age:.0f} s"
                if self._last_logged != State.STALLED.value:
                    self._log(State.STALLED.value, "no new frame")
            return StatusReading(state, message, age, fps, self._frames, retry,
                                 self._first_frame_latency, self._connect_s,
                                 max(0, self._opens - 1), self._read_errors, self._path)
