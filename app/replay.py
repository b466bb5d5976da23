"""Instant replay: a tile's last 30 s, decoded again from its packet buffer, while the live
stream goes on untouched.

    Feed.packets (the last 35 s, copied) --ReplayPlayer thread: decode from a keyframe,
    paced by timestamps--> FrameSlot (newest frame only) --> the replay window's timer

The player owns its own decoder (a new FFmpeg codec context from the stream's codec name and
extradata), so nothing is shared with the live feed but immutable packet copies. Seeking
decodes from the keyframe at or before the wanted moment and shows the first frame at it.
"""
from __future__ import annotations

import bisect
import threading
import time
from typing import Any

from app.decoders import BufferPool
from app.feeds import FrameSlot
from app.recording import PacketCopy, StreamTemplate, av_packet

REPLAY_S = 30.0


class NothingToReplay(Exception):
    """No packets buffered (a stream not open yet, or decoded by OpenCV)."""


class ReplayPlayer:
    """Plays a list of packet copies; position and duration in seconds from the first."""

    def __init__(self, template: StreamTemplate | None, packets: list[PacketCopy],
                 size: tuple[int, int] | None = None):
        packets = [p for p in packets if p.seconds is not None]
        if template is None or not packets:
            raise NothingToReplay("the stream has no packets buffered yet")
        self.template = template
        self.packets = packets
        self.size = size  # scale pictures to fit this (None: as decoded)
        self.t0 = packets[0].seconds or 0.0
        self.times = [(p.seconds or 0.0) - self.t0 for p in packets]
        self.duration = max(self.times)
        self.keys = [i for i, p in enumerate(packets) if p.keyframe]
        self.slot = FrameSlot()
        self._pool = BufferPool()
        self._cond = threading.Condition()
        self._playing = True
        self._seek_to: float | None = 0.0
        self._stop = False
        self.position = 0.0
        self.shown = 0  # frames put in the slot
        self._thread = threading.Thread(target=self._run, name="replay", daemon=True)
        self._thread.start()

    # -- control (GUI thread) ----------------------------------------------------------------
    @property
    def playing(self) -> bool:
        with self._cond:
            return self._playing

    def play(self, on: bool = True) -> None:
        with self._cond:
            self._playing = on
            self._cond.notify()

    def toggle(self) -> None:
        self.play(not self.playing)

    def seek(self, seconds: float) -> None:
        with self._cond:
            self._seek_to = max(0.0, min(self.duration, seconds))
            self._cond.notify()

    def step(self, seconds: float) -> None:
        self.seek(self.position + seconds)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the thread --------------------------------------------------------------------------
    def _decoder(self) -> Any:
        import av
        ctx = av.CodecContext.create(self.template.codec, "r")
        if self.template.extradata:
            ctx.extradata = self.template.extradata
        ctx.thread_count = 1
        return ctx

    def _run(self) -> None:
        ctx = None
        i = 0  # next packet to decode
        clock_t = clock_at = 0.0  # the replay time shown at wall-clock time clock_at
        target: float | None = None  # seeking: show the first frame at or after it
        was_playing = False
        while True:
            with self._cond:
                while not self._stop and self._seek_to is None and (
                        not self._playing or i >= len(self.packets)):
                    if self._playing and i >= len(self.packets):
                        self._playing = False  # the end: pause on the newest picture
                    self._cond.wait()
                if self._stop:
                    return
                if self._seek_to is not None:
                    target, self._seek_to = self._seek_to, None
                    k = bisect.bisect_right([self.times[j] for j in self.keys], target) - 1
                    i = self.keys[max(0, k)]
                    ctx = None
                playing = self._playing
            if playing and not was_playing:  # (re)started: the clock runs from here
                clock_t, clock_at = self.position, time.monotonic()
            was_playing = playing
            if ctx is None:
                ctx = self._decoder()
            p = self.packets[i]
            i += 1
            try:
                frames = ctx.decode(av_packet(p))
            except Exception:  # noqa: BLE001 - a damaged packet: the next keyframe repairs it
                continue
            for frame in frames:
                t = (float(frame.pts * p.time_base) - self.t0) if frame.pts is not None \
                    else self.times[i - 1]
                if target is not None and t < target - 1e-3 and i < len(self.packets):
                    continue  # decoding up to the moment sought
                if target is None and playing:  # pace by the timestamps
                    delay = (t - clock_t) - (time.monotonic() - clock_at)
                    if delay > 0:
                        with self._cond:
                            if self._cond.wait_for(
                                    lambda: self._stop or self._seek_to is not None
                                    or not self._playing, timeout=min(delay, 1.0)):
                                break
                self._show(frame, t)
                if target is not None or not playing:
                    target = None
                    clock_t, clock_at = t, time.monotonic()
                    if not playing:
                        break

    def _show(self, frame: Any, t: float) -> None:
        from app.decoders import yuv_to_bgra
        from app.geometry import fit_size
        size = fit_size(frame.width, frame.height, *self.size) if self.size else None
        image = yuv_to_bgra(frame, size, self._pool)
        self.slot.put(image, time.monotonic(), (frame.width, frame.height))
        self.position = t
        self.shown += 1


def replay_of(feed: Any, seconds: float = REPLAY_S,
              size: tuple[int, int] | None = None) -> ReplayPlayer:
    """A player of `feed`'s last `seconds`, from the keyframe at or before them."""
    template, packets = feed.packets.last(seconds)
    return ReplayPlayer(template, packets, size)
