"""Which stream each tile of a wall shows, as plain Python (no Qt).

The wall widget says which camera each tile should show and at what size; the binder
acquires and releases the feeds (one per camera stream, shared with other tiles and walls),
chooses the main or the sub stream by the tile's size, switches between them without a gap
(the old stream stays on the tile until the new one has a picture), and tells each feed the
sizes it is painted at. Tiles only ever see a narrow, read-only `FrameSource`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.feeds import Feed, FeedManager, Frame
from app.layouts import wants_sub_stream
from app.registry import Camera, Registry
from app.relay import route_for
from app.streams import StatusReading


class FrameSource(Protocol):
    """What a tile may read of a stream: its newest frame and its state. Nothing else."""

    camera_id: str

    def latest_frame(self) -> Frame | None: ...
    def reading(self) -> StatusReading: ...


@dataclass
class Binding:
    camera_id: str
    stream: str  # "main" or "sub"
    feed: Feed | None  # None: the camera is not in the registry
    pending: Feed | None = None  # the other stream, until its first frame
    pending_stream: str = ""


class TileBinder:
    """The feeds behind one wall's tiles (tile index -> binding)."""

    def __init__(self, registry: Registry, feeds: FeedManager):
        self.registry = registry
        self.feeds = feeds
        self._bound: list[Binding | None] = []
        self._sizes: list[tuple[int, int]] = []
        self._maximised = False
        self._standby: list[tuple[Feed, int]] = []  # (feed, subscriber) kept for what is next

    def _subscriber(self, i: int) -> int:
        return hash((id(self), i))

    # -- what the wall asks ------------------------------------------------------------------
    def bind(self, wanted: list[str | None], sizes: list[tuple[int, int]],
             maximised: bool = False) -> list[int]:
        """Make tile i show camera `wanted[i]` (None: nothing) at `sizes[i]` device pixels.
        Returns the tiles whose camera changed (their content must be redrawn)."""
        n = len(wanted)
        released: list[Feed] = []
        while len(self._bound) > n:
            released += self._unbind(len(self._bound) - 1)
            self._bound.pop()
            self._sizes.pop()
        while len(self._bound) < n:
            self._bound.append(None)
            self._sizes.append((1, 1))
        self._maximised = maximised
        changed = []
        for i, cam_id in enumerate(wanted):
            self._sizes[i] = sizes[i]
            b = self._bound[i]
            if b is not None and b.camera_id != cam_id:
                released += self._unbind(i)
                b = None
                changed.append(i)
            if cam_id is not None and b is None:
                self._bind(i, cam_id)
                changed.append(i)
            elif b is not None:
                self._report_size(i)
                self._choose_stream(i)
        self._release(released)  # after acquiring the new ones: shared feeds stay open
        return changed

    def resize(self, sizes: list[tuple[int, int]], maximised: bool | None = None) -> None:
        """The tiles changed size: tell the feeds, and switch main/sub where it is due."""
        if maximised is not None:
            self._maximised = maximised
        for i, size in enumerate(sizes[:len(self._bound)]):
            self._sizes[i] = size
            if self._bound[i] is not None:
                self._report_size(i)
                self._choose_stream(i)

    def complete_switches(self) -> list[int]:
        """Finish the main/sub switches whose new stream has a picture. Returns those tiles."""
        done = []
        for i, b in enumerate(self._bound):
            if b is None or b.pending is None or b.pending.slot.get() is None:
                continue
            old = b.feed
            b.feed, b.stream = b.pending, b.pending_stream
            b.pending, b.pending_stream = None, ""
            if old is not None:
                old.drop_size(self._subscriber(i))
                self.feeds.release(old)
            done.append(i)
        return done

    def release_all(self) -> None:
        for i in range(len(self._bound)):
            self._release(self._unbind(i))
        self.standby([])

    def standby(self, upcoming: list[str | None]) -> None:
        """Keep the cameras shown next (a tour's next page, tile by tile) open on standby:
        keyframes only, scaled for the tile that will show them, so that the turn paints
        pictures at once instead of "connecting". [] closes them."""
        kept: list[tuple[Feed, int]] = []
        for i, cam_id in enumerate(upcoming[:len(self._sizes)]):
            cam = self.registry.cameras.get(cam_id) if cam_id else None
            if cam is None:
                continue
            feed = self._acquire(cam, self._stream_for(cam, i), standby=True)
            subscriber = hash((id(self), "standby", i))
            feed.set_size(subscriber, *self._sizes[i])
            kept.append((feed, subscriber))
        for feed, subscriber in self._standby:  # after acquiring: shared ones stay open
            if (feed, subscriber) not in kept:
                feed.drop_size(subscriber)
            self.feeds.release(feed, standby=True)
        self._standby = kept

    # -- what tiles and commands read --------------------------------------------------------
    def binding(self, i: int) -> Binding | None:
        return self._bound[i] if 0 <= i < len(self._bound) else None

    def source(self, i: int) -> FrameSource | None:
        b = self.binding(i)
        return b.feed if b is not None else None

    def stream_of(self, i: int) -> str | None:
        b = self.binding(i)
        return b.stream if b is not None else None

    def bound(self) -> bool:
        return any(b is not None for b in self._bound)

    def full_frame(self, tile: int) -> tuple[Any, str, str] | None:
        b = self.binding(tile)
        if b is None or b.feed is None:
            return None
        frame = b.feed.last_full_frame()
        return None if frame is None else (frame, b.stream, b.feed.source.display)

    # -- inside ------------------------------------------------------------------------------
    def _stream_for(self, cam: Camera, i: int) -> str:
        if cam.sub is None:
            return "main"
        return "sub" if wants_sub_stream(self._sizes[i][1], self._maximised) else "main"

    def _acquire(self, cam: Camera, stream: str, standby: bool = False) -> Feed:
        source = cam.sub if stream == "sub" and cam.sub is not None else cam.main
        return self.feeds.acquire(cam.id, source, cam.name,
                                  route=route_for(self.registry, cam, stream), standby=standby)

    def _bind(self, i: int, cam_id: str) -> None:
        cam = self.registry.cameras.get(cam_id)
        if cam is None:
            self._bound[i] = Binding(cam_id, "main", None)
            return
        stream = self._stream_for(cam, i)
        self._bound[i] = Binding(cam.id, stream, self._acquire(cam, stream))
        self._report_size(i)

    def _report_size(self, i: int) -> None:
        b = self._bound[i]
        if b is not None and b.feed is not None:
            b.feed.set_size(self._subscriber(i), *self._sizes[i])

    def _choose_stream(self, i: int) -> None:
        """Start switching main <-> sub if the tile's size calls for the other stream."""
        b = self._bound[i]
        cam = self.registry.cameras.get(b.camera_id) if b is not None else None
        if b is None or cam is None or b.feed is None:
            return
        want = self._stream_for(cam, i)
        if b.pending is not None:
            if b.pending_stream == want:
                return
            b.pending.drop_size(self._subscriber(i))
            self.feeds.release(b.pending)  # changed its mind before the switch completed
            b.pending, b.pending_stream = None, ""
        if want == b.stream:
            return
        b.pending = self._acquire(cam, want)
        b.pending_stream = want
        b.pending.set_size(self._subscriber(i), *self._sizes[i])

    def _unbind(self, i: int) -> list[Feed]:
        b = self._bound[i]
        self._bound[i] = None
        out = []
        if b is not None:
            for f in (b.feed, b.pending):
                if f is not None:
                    f.drop_size(self._subscriber(i))
                    out.append(f)
        return out

    def _release(self, feeds: list[Feed]) -> None:
        for f in feeds:
            self.feeds.release(f)
