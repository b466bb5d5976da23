"""The feed engine: one worker thread per open stream, newest-frame-only hand-over.

    worker thread (one per stream)                 GUI thread (one display timer)
    open -> read -> scale to tile size -> BGRA --> FrameSlot.put()  ...  FrameSlot.get()

A `Feed` is shared by every tile that shows the same stream (reference counted by
`FeedManager`). Nothing here knows about Qt: frames are numpy BGRA arrays, which the wall
wraps as `QImage.Format_RGB32` without copying. A frame array is never written again after
it is put in the slot, so the GUI may keep painting it; the worker reuses a buffer only once
nothing else refers to it (`BufferPool`), so it allocates nothing per frame.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass
from pathlib import Path
import cv2
import numpy as np

from app import demo
from app.decoders import (BufferPool, Capture, OpenCVCapture, OpenFailed, Picture,
                          PyAVCapture, decode_lanes, decoder_name, hwaccel_choice)
from app.diagnose import REFUSED, UNAUTHORIZED, accepts, diagnose
from app.geometry import fit_size
from app.recording import CameraRecording, PacketBuffer, PacketCopy, StreamTemplate
from app.relay import RETURN_CAP_S, RETURN_FIRST_S, HubWatch, RelayRoute, why_not
from app.streams import Backoff, State, StatusReading, StreamStatus, StreamTimeouts
from app.urls import Source

log = logging.getLogger(__name__)

_configured = False


def configure_decoding() -> None:
    """Process-wide decoder set-up, done once before the first stream opens (main.py calls
    it at start; a FeedManager calls it too, so tools and tests cannot forget it). Importing
    this module changes nothing.

    - Read by OpenCV's FFmpeg backend at every open: TCP for RTSP (no UDP packet loss
      smearing on a busy LAN), and a short stream analysis: FFmpeg's default probes ~2 s of
      video before the first frame (measured: first frame 1.9 s -> 0.63 s on a 15 fps RTSP
      stream); cameras announce their codec in the RTSP session description.
    - Thread-safe opening, so one dead camera does not hold a process-wide lock while every
      other stream waits to (re)connect (measured: 6 streams opened in 1.9 s instead of one
      by one).
    - FFmpeg's own console messages (e.g. "Connection refused") duplicate what the tile shows.
    - Every stream already has its own worker thread: OpenCV's thread pool would only split
      each small resize and colour conversion across the cores and pay wake-ups for it
      (measured, 16 RTSP streams on a 4x4 wall: decode + scale + convert 48 -> 36 % of a core).
    """
    global _configured
    if _configured:
        return
    _configured = True
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS",
                          "rtsp_transport;tcp|analyzeduration;500000")
    os.environ.setdefault("OPENCV_FFMPEG_IS_THREAD_SAFE", "1")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cv2.setNumThreads(1)
    try:  # OpenCV prints its own FFmpeg warnings; our tile states say it better.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    except AttributeError:  # pragma: no cover - older builds
        pass
    if decoder_name() == "pyav":
        import av.logging
        av.logging.set_level(av.logging.PANIC)  # as OPENCV_FFMPEG_LOGLEVEL: the tile says it
        log.info("decoder: PyAV %s (FFmpeg's libraries), %d decode lanes; %s", _av_version(),
                 len(decode_lanes()), hwaccel_choice().line)
    else:
        log.info("decoder: OpenCV %s VideoCapture (NAZAR_DECODER=opencv)", cv2.__version__)


def _av_version() -> str:
    import av
    return str(av.__version__)


@dataclass(frozen=True)
class Frame:
    """One paint-ready frame: BGRA bytes (QImage.Format_RGB32 on little-endian)."""

    image: np.ndarray  # shape (h, w, 4), uint8, C-contiguous; never modified after hand-over
    seq: int  # increases by one per frame put in the slot
    captured: float  # time.monotonic() when the decoder returned it
    source_size: tuple[int, int]  # decoded width, height before scaling


class FrameSlot:
    """Holds only the newest frame. put() replaces, get() never blocks for long.

    `waiting`: a reader (the wall's display timer) has taken frames from this slot before
    and has not yet taken the newest one. The worker then skips converting the next picture
    (it still decodes it): a GUI thread that falls behind is not buried under conversions it
    cannot show, which would only take the CPU and the GIL it needs to catch up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._seq = 0
        self._taken = False  # the newest frame was read
        self._has_reader = False

    def put(self, image: np.ndarray, captured: float, source_size: tuple[int, int]) -> int:
        with self._lock:
            self._seq += 1
            self._frame = Frame(image, self._seq, captured, source_size)
            self._taken = False
            return self._seq

    def get(self) -> Frame | None:
        with self._lock:
            if self._frame is not None:
                self._taken = self._has_reader = True
            return self._frame

    @property
    def waiting(self) -> bool:
        with self._lock:
            return self._has_reader and not self._taken

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq


class SourceError(Exception):
    """A problem that retrying will not fix (bad address, missing file): state 'error'."""


@dataclass(frozen=True)
class Opened:
    capture: Capture
    paced_fps: float | None  # files and demo clips: play at this rate; live streams: None
    loop: bool


Opener = Callable[[Source, StreamTimeouts, str, str], Opened | None]


def open_source(source: Source, timeouts: StreamTimeouts, camera_id: str = "",
                title: str = "", cache_dir: Path | None = None) -> Opened | None:
    """Open a source with the process's decoder (app/decoders.py). None: could not connect
    (retry later); SourceError: retrying will not help."""
    start_at = 0
    if source.kind == "demo":
        scene, query = source.demo_params()
        try:
            spec = demo.DemoSpec.from_params(scene, query)
        except ValueError as exc:
            raise SourceError(str(exc)) from None
        try:
            path = demo.ensure_clip(cache_dir or demo.default_cache_dir(), spec, camera_id,
                                    title or camera_id)
        except (OSError, RuntimeError) as exc:
            raise SourceError(f"cannot prepare demo clip: {exc}") from None
        target = str(path)
        start_at = demo.start_frame(spec, time.time())
    elif source.kind == "file":
        path = source.path
        if not path.is_file():
            raise SourceError(f"file not found: {path}")
        target = str(path)
    else:
        target = source.url
    is_file = source.kind in ("file", "demo")
    if decoder_name() == "opencv":
        return _open_opencv(target, timeouts, source, start_at)
    hw = hwaccel_choice().kind
    try:
        cap = PyAVCapture(target, timeouts.open_s, timeouts.read_s, hwaccel=hw)
    except OpenFailed as exc:
        if is_file:
            raise SourceError(f"cannot decode {source.display}: {exc}") from None
        log.debug("camera %s: cannot open: %s", camera_id, exc)
        return None
    if not is_file:
        cap.live = True  # a camera sends in real time: keep up with it, or catch up
        return Opened(cap, None, loop=False)
    try:
        cap.seek_frame(start_at)
    except Exception as exc:  # noqa: BLE001 - an unseekable file still plays from its start
        log.debug("camera %s: cannot seek to frame %d: %s", camera_id, start_at, exc)
    fps = cap.fps or 25.0
    return Opened(cap, fps if 1.0 <= fps <= 120.0 else 25.0, loop=True)


def _open_opencv(target: str, timeouts: StreamTimeouts, source: Source,
                 start_at: int) -> Opened | None:
    """NAZAR_DECODER=opencv: OpenCV's own FFmpeg backend (full-size BGR frames)."""
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(timeouts.open_s * 1000),
              cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(timeouts.read_s * 1000)]
    if hasattr(cv2, "CAP_PROP_N_THREADS"):
        params += [cv2.CAP_PROP_N_THREADS, 1]  # one decoder thread per stream
    cap = cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        if source.kind in ("file", "demo"):
            raise SourceError(f"cannot decode {source.display}")
        return None
    if source.kind in ("file", "demo"):
        if start_at:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start_at)
        fps = cap.get(cv2.CAP_PROP_FPS)
        return Opened(OpenCVCapture(cap), fps if 1.0 <= fps <= 120.0 else 25.0, loop=True)
    return Opened(OpenCVCapture(cap), None, loop=False)


_BACK_TO_HUB = "back to the relay hub"


RESUME_DELAY_S = 0.15  # a page turned to standby streams: paint first, then catch up
LINGER_S = 3.0  # the wall's streams stay open this long after the last tile let go

REFUSED_PROBE_S = 1.0  # a camera that refused the connection: is it listening again? this often
HUNG_GRACE_S = 0.05  # stop_all(wait_hung=False): how long a stream without frames gets

UNAUTHORIZED_ATTEMPTS = 2  # refused logins before a feed stops trying (account lock-outs)


class Feed:
    """One open stream: its worker thread, its state and its newest frame."""

    def __init__(self, key: str, source: Source, camera_id: str, title: str,
                 timeouts: StreamTimeouts, opener: Callable[..., Opened | None],
                 backoff: Backoff | None = None, clock: Callable[[], float] = time.monotonic,
                 route: RelayRoute | None = None, hub: HubWatch | None = None):
        self.key = key
        self.source = source
        self.route = route  # a relay hub to open first (app/relay.py); None: direct only
        self._hub = hub
        self._hub_at = 0.0  # when to try the hub again (monotonic)
        self._hub_wait = RETURN_FIRST_S
        self._direct_why = ""  # why the last hub attempt failed (shown while direct)
        self._unauthorized = 0  # logins the camera refused in a row
        self.camera_id = camera_id
        self.title = title
        self.slot = FrameSlot()
        self.status = StreamStatus(timeouts)
        self._timeouts = timeouts
        self._opener = opener
        self._backoff = backoff or Backoff(base_s=1.0, factor=2.0, cap_s=30.0)
        self._clock = clock
        self._stop = threading.Event()
        self._size_lock = threading.Lock()
        self._sizes: dict[int, tuple[int, int]] = {}
        self.decoded = 0  # frames read from the decoder (also counts frames not displayed)
        self.catching_up = False  # fell behind the camera: keyframes only (PyAVCapture._late)
        self.keyframes = 0  # of those, keyframes (on standby: all of them)
        self.skipped = 0  # decoded but not converted: the wall had not shown the one before
        # Paint-ready buffers, reused so that the decode path allocates nothing per frame (a
        # new 1-3 MB array per frame is an mmap/munmap pair and a dozen page faults).
        self._full_lock = threading.Lock()
        self._last_picture: Picture | None = None  # newest decoded picture, not converted
        self._paint_ready = BufferPool()
        self._standby = False  # keyframes only (a tour's next page): see set_standby
        self._capture: Any = None  # the open capture (set_standby reaches it at once)
        self.keyframe_s: float | None = None  # the camera's keyframe interval, measured
        # Packets as they arrive (PyAV only): the last 35 s for pre-roll and replay, and the
        # incident recordings that copy them to disk (app/recording.py).
        self.packets = PacketBuffer()
        self._rec_lock = threading.Lock()
        self._recordings: list[CameraRecording] = []
        self._session = 0
        self._template: StreamTemplate | None = None
        self.decoder = ""  # which decoder opened it, for the tile's info
        self._thread = threading.Thread(target=self._run, name=f"feed:{camera_id}", daemon=True)

    # -- control (any thread) -----------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the worker to finish. It exits at the next frame or timeout; it never blocks us."""
        self._stop.set()
        self.status.closed()

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def delivering(self) -> bool:
        """Frames are arriving: the newest is younger than the stall limit (state live)."""
        return self.status.reading(self._clock()).state is State.LIVE

    def set_size(self, subscriber: int, width: int, height: int) -> None:
        """A tile reports the size it paints at; the worker scales to the largest request."""
        with self._size_lock:
            self._sizes[subscriber] = (max(1, int(width)), max(1, int(height)))

    def drop_size(self, subscriber: int) -> None:
        with self._size_lock:
            self._sizes.pop(subscriber, None)

    def target_size(self) -> tuple[int, int] | None:
        with self._size_lock:
            if not self._sizes:
                return None
            return (max(w for w, _ in self._sizes.values()),
                    max(h for _, h in self._sizes.values()))

    def reading(self) -> StatusReading:
        return dataclasses.replace(self.status.reading(self._clock()), decoder=self.decoder,
                                   keyframe_s=self.keyframe_s, standby=self._standby,
                                   catching_up=self.catching_up)

    def info(self) -> str:
        """The stream's decoder facts for the officer: "h264 · PyAV software, 1280x720,
        a keyframe every 2.0 s"."""
        r = self.reading()
        frame = self.slot.get()
        parts = [r.decoder or "not open yet"]
        if frame is not None:
            parts.append("{}x{}".format(*frame.source_size))
        if r.keyframe_s:
            parts.append(f"a keyframe every {r.keyframe_s:.1f} s")
        if r.standby:
            parts.append("standby (keyframes only)")
        return ", ".join(parts)

    def latest_frame(self) -> Frame | None:
        """The newest frame (never written again once here): the tiles' read-only view."""
        return self.slot.get()

    def last_full_frame(self) -> np.ndarray | None:
        """The newest decoded frame at full resolution, BGR, a new array (for snapshots)."""
        with self._full_lock:
            picture = self._last_picture
        return None if picture is None else picture.to_bgr()

    def add_recording(self, rec: CameraRecording) -> None:
        """Copy this stream's packets into `rec` from now on (after its pre-roll)."""
        with self._rec_lock:
            self._recordings.append(rec)

    def remove_recording(self, rec: CameraRecording) -> None:
        with self._rec_lock:
            if rec in self._recordings:
                self._recordings.remove(rec)
        rec.stop()

    @property
    def recordings(self) -> list[CameraRecording]:
        with self._rec_lock:
            return list(self._recordings)

    def _on_packet(self, packet: Any) -> None:
        """Worker thread: every demuxed packet, copied once, into the buffer and recordings."""
        template = self._template
        if template is None:
            return
        p = PacketCopy(bytes(packet), packet.pts, packet.dts, bool(packet.is_keyframe),
                       packet.time_base, template.session, time.time())
        self.packets.append(p)
        with self._rec_lock:
            recordings = list(self._recordings)
        for rec in recordings:
            rec.write(p, template, self.packets)

    def set_standby(self, on: bool) -> None:
        """Keyframes only (FFmpeg's skip_frame): kept open at a small cost, so that a tile
        that turns to it has a picture at once. The decoder applies it at its next packet."""
        self._standby = on
        cap = self._capture
        if cap is not None:
            # Shown again: the standby picture is painted first; the catch-up decoding of the
            # frames since its keyframe (a burst of CPU) follows a moment later.
            cap.resume_not_before = time.monotonic() + RESUME_DELAY_S
            cap.keyframes_only_wanted = on

    # -- worker ------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - a worker must never die silently
            log.exception("feed %s (%s) crashed", self.camera_id, self.source.display)
            self.status.fatal(f"internal error: {exc}")

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.status.opening(self._clock())
            via_hub = self._hub_due()
            source = self.route.source if via_hub and self.route else self.source
            try:
                opened = self._opener(source, self._timeouts, self.camera_id, self.title)
            except SourceError as exc:
                if via_hub:
                    self._hub_failed(str(exc))
                    continue
                log.warning("camera %s: %s", self.camera_id, exc)
                self.status.fatal(str(exc))
                return
            if self._stop.is_set():
                if opened:
                    opened.capture.release()
                return
            if opened is None:
                if via_hub:  # straight to the camera, no backoff
                    self._hub_failed("cannot open the stream")
                    continue
                why = diagnose(self.source)
                if why.kind == UNAUTHORIZED:
                    self._unauthorized += 1
                    if self._unauthorized >= UNAUTHORIZED_ATTEMPTS:
                        # Recorders lock an account after a few failed logins, and then the
                        # site's own staff cannot log in either: stop, and say why.
                        log.warning("camera %s: %s; stopped after %d attempts",
                                    self.camera_id, why.text, self._unauthorized)
                        self.status.fatal(f"{why.text}: stopped after "
                                          f"{self._unauthorized} attempts so that the camera "
                                          "does not lock the account; correct the user or "
                                          "password, then reopen the camera")
                        return
                self._retry(why.text or f"cannot connect to {self.source.display}",
                            refused=why.kind == REFUSED)
                continue
            self.status.opened(self._clock())
            if self.route is not None:  # said once the stream is open, never before
                self.status.set_path(f"via {self.route.name}" if via_hub
                                     else f"direct · {self._direct_why}")
            reason = self._read(opened, on_hub=via_hub)
            for rec in self.recordings:  # close their segments before the next opening
                rec.session_ended()
            self._capture = None
            opened.capture.release()
            if reason == _BACK_TO_HUB:
                continue
            if reason is not None and via_hub and not self._stop.is_set():
                self._hub_failed(reason)  # the hub's stream broke: the camera directly
                continue
            if reason is not None and not self._stop.is_set():
                self._retry(reason)

    # -- relay hubs (app/relay.py) -----------------------------------------------------------
    def _hub_due(self) -> bool:
        return self.route is not None and self._clock() >= self._hub_at

    def _hub_failed(self, reason: str) -> None:
        """The hub did not give the stream: go direct now, try the hub again later."""
        assert self.route is not None
        if self._hub is not None:
            self._hub.mark_down()
        why = why_not(self.route)
        log.info("camera %s: %s via %s (%s); opening it directly", self.camera_id, reason,
                 self.route.name, why)
        self._direct_why = why
        self._hub_at = self._clock() + self._hub_wait
        self._hub_wait = min(RETURN_CAP_S, self._hub_wait * 2)

    def _back_to_hub(self) -> bool:
        """Running directly: is it time to return to the hub, and is the hub up?"""
        if self.route is None or self._hub is None or not self._hub_due():
            return False
        if not self._hub.up:
            self._hub.want()
            return False
        return True

    def _retry(self, message: str, refused: bool = False) -> None:
        delay = self._backoff.next_delay()
        log.info("camera %s: %s; retrying in %.1f s", self.camera_id, message, delay)
        self.status.failed(self._clock(), message, delay)
        if refused:
            self._wait_for_listening(delay)
        else:
            self._stop.wait(delay)

    def _wait_for_listening(self, delay: float) -> None:
        """The backoff wait of a camera that refused the connection (nothing listened at its
        port: rebooting, its RTSP server restarting), cut short as soon as the port accepts a
        connection again: looked at every REFUSED_PROBE_S with a TCP connect, closed at once
        (nothing is sent; a refused connect costs the camera nothing). A camera back after a
        10 s outage was otherwise left dark until the next backoff attempt, up to 16 s later
        (measured: ./nazar bench soak-faults); after a longer outage, up to 30 s."""
        end = time.monotonic() + delay
        while True:
            left = end - time.monotonic()
            if left <= REFUSED_PROBE_S:
                self._stop.wait(max(0.0, left))
                return
            if self._stop.wait(REFUSED_PROBE_S):
                return
            if accepts(self.source, timeout=0.5):
                log.info("camera %s: %s accepts connections again; reconnecting now",
                         self.camera_id, self.source.display)
                return

    def _read(self, opened: Opened, on_hub: bool = False) -> str | None:
        """Read until stopped (None), the stream fails (the reason) or, running directly,
        the hub is back (_BACK_TO_HUB)."""
        cap = opened.capture
        self.decoder = cap.decoder
        self._capture = cap
        if isinstance(cap, PyAVCapture):  # packets: buffered, and recorded when asked
            self._session += 1
            stream = cap.stream
            ctx = stream.codec_context
            self._template = StreamTemplate(self._session, stream, ctx.name or "",
                                            ctx.extradata, ctx.width, ctx.height)
            self.packets.new_session(self._template)
            cap.on_packet = self._on_packet
        # The decoder takes standby from this flag at its next packet (set_standby keeps it
        # current); here the flag only changes the pacing of a file.
        cap.keyframes_only_wanted = self._standby
        try:
            return self._read_pictures(cap, opened, on_hub)
        finally:
            cap.leave()  # whatever ended the reading, the decode lane is free

    def _read_pictures(self, cap: Capture, opened: Opened, on_hub: bool) -> str | None:
        period = 1.0 / opened.paced_fps if opened.paced_fps else 0.0
        next_due = last_ok = self._clock()
        first = True
        standby = self._standby
        while not self._stop.is_set():
            if self._standby != standby:
                standby = self._standby
                next_due = self._clock()  # keyframes of a paced file come far apart
            started = self._clock()
            picture = cap.read()
            if self._stop.is_set():
                return None
            # The wait for a decode lane is the console's, not the camera's (BENCHMARKS.md,
            # "Decode lanes"): a busy console must not take a camera for a hung one.
            if picture is not None and not opened.loop and \
                    self._clock() - started - cap.lane_wait_s >= 0.9 * self._timeouts.read_s:
                # The read timed out and FFmpeg flushed its decoder: this picture arrived
                # before the silence. Showing it would make a hung camera look live again.
                return f"no new frame for {self._clock() - last_ok:.0f} s (read timeout)"
            if picture is None:
                if opened.loop and not first and cap.rewind():
                    continue
                if opened.loop:
                    return "stream ended"
                silent = self._clock() - last_ok
                if silent >= 0.9 * self._timeouts.read_s:
                    return f"no frame for {silent:.0f} s (read timeout)"
                why = getattr(cap, "error", "")
                return "connection lost" + (f" ({why})" if why and why != "no frame" else "")
            first = False
            pace = getattr(cap, "pace", None)  # PyAV cameras only
            if pace is not None and pace.catching_up != self.catching_up:
                self._catching_up_changed(pace.behind_s, getattr(cap, "dropped", 0))
            self.decoded += 1
            self.keyframes += picture.keyframe
            self.keyframe_s = cap.keyframe_interval_s() or self.keyframe_s  # kept over reopens
            now = last_ok = self._clock()
            if period:
                cap.leave()  # the pacing wait of a file below: without a decode lane
            if period and not standby:  # files decode as fast as the CPU allows: pace them
                next_due += period
                if next_due - now > 0:
                    if self._stop.wait(next_due - now):
                        return None
                    now = self._clock()
                elif now - next_due > 1.0:
                    next_due = now  # fell far behind (CPU busy): do not try to catch up
            elif period and standby:  # a file's keyframes: at the pace they would come
                if self._stop.wait(max(period, self.keyframe_s or 1.0)):
                    return None
                now = self._clock()
            self._deliver(picture, now)  # in the decode lane, if any (read() leaves it)
            self._backoff.reset()
            if on_hub:
                self._hub_wait = RETURN_FIRST_S  # the hub works: a later failure retries soon
            elif self.route is not None and self._back_to_hub():
                return _BACK_TO_HUB
        return None

    def _catching_up_changed(self, behind_s: float, dropped: int) -> None:
        self.catching_up = not self.catching_up
        if self.catching_up:
            log.warning("camera %s: its pictures queue up %.1f s behind (more cameras than "
                        "this console can decode); keyframes only until it has caught up",
                        self.camera_id, behind_s)
        else:
            log.info("camera %s: caught up (%d frames skipped so far); every frame again",
                     self.camera_id, dropped)

    def _deliver(self, picture: Picture, captured: float) -> None:
        """Scale to the largest tile and convert to BGRA: paint-ready, in reused buffers."""
        with self._full_lock:
            self._last_picture = picture
        if self.slot.waiting:  # the wall has not shown the last one yet: it is behind
            self.skipped += 1
            self.status.frame(captured)
            return
        w, h = picture.size
        target = self.target_size()
        size = None
        if target is not None:
            size = fit_size(w, h, *target)
            if size == (w, h):
                size = None
        bgra = picture.to_bgra(size, self._paint_ready)
        self.slot.put(bgra, captured, (w, h))
        self.status.frame(captured)


class FeedManager:
    """Opens each stream once, shares it between tiles and closes it when nobody shows it."""

    def __init__(self, timeouts: StreamTimeouts | None = None,
                 opener: Callable[..., Opened | None] | None = None,
                 cache_dir: Path | None = None, linger_s: float = 0.0):
        """`linger_s`: a stream nobody shows any more stays open (on standby) this long, so
        that a page flipped back and forth, or a tile's camera swapped out and back, reuses
        its connection instead of opening another (main.py: LINGER_S)."""
        configure_decoding()
        self.linger_s = linger_s
        self._lingering: dict[str, Feed] = {}
        self._linger_turns: dict[str, int] = {}  # the release whose timer closes it
        self._linger_turn = 0
        self.timeouts = timeouts or StreamTimeouts()
        self._cache_dir = cache_dir
        self._opener = opener or self._default_opener
        self._feeds: dict[str, Feed] = {}
        self._refs: dict[str, int] = {}
        self._standby: dict[str, int] = {}  # of the refs, those on standby (keyframes only)
        self._retired: list[Feed] = []  # stopped but maybe still inside a blocking read
        self._given_up: set[Feed] = set()  # feeds an earlier stop_all waited for in vain
        self._decoded_closed = 0  # frames decoded by feeds that have finished
        self._lock = threading.Lock()
        self._hubs: dict[tuple[str, int], HubWatch] = {}

    def _default_opener(self, source: Source, timeouts: StreamTimeouts, camera_id: str,
                        title: str) -> Opened | None:
        return open_source(source, timeouts, camera_id, title, self._cache_dir)

    def acquire(self, camera_id: str, source: Source, title: str = "",
                route: RelayRoute | None = None, standby: bool = False) -> Feed:
        """The feed of this stream (one per camera stream, shared); `route`: through a relay
        hub first (app/relay.py). `standby`: nobody shows it yet (a tour's next page): while
        every holder is on standby the feed decodes keyframes only."""
        key = f"{camera_id}|{source.url}"
        with self._lock:
            feed = self._feeds.get(key)
            if feed is None and key in self._lingering:  # closing soon: keep it instead
                feed = self._feeds[key] = self._lingering.pop(key)
                self._refs[key] = 0
            if feed is None:
                hub = None
                if route is not None:
                    hub = self._hubs.get((route.host, route.port))
                    if hub is None:
                        hub = self._hubs[(route.host, route.port)] = HubWatch(route.host,
                                                                               route.port)
                feed = Feed(key, source, camera_id, title, self.timeouts, self._opener,
                            route=route, hub=hub)
                self._feeds[key] = feed
                self._refs[key] = 0
                feed.start()
            self._refs[key] += 1
            if standby:
                self._standby[key] = self._standby.get(key, 0) + 1
            feed.set_standby(self._standby.get(key, 0) >= self._refs[key])
            return feed

    def release(self, feed: Feed, standby: bool = False) -> None:
        with self._lock:
            if feed.key not in self._refs:
                return
            self._refs[feed.key] -= 1
            if standby and self._standby.get(feed.key, 0) > 0:
                self._standby[feed.key] -= 1
            if self._refs[feed.key] > 0:
                feed.set_standby(self._standby.get(feed.key, 0) >= self._refs[feed.key])
                return
            del self._refs[feed.key]
            self._standby.pop(feed.key, None)
            del self._feeds[feed.key]
            if self.linger_s > 0:  # not yet: a page flipped back reuses the connection
                self._lingering[feed.key] = feed
                feed.set_standby(True)
                self._linger_turn += 1  # only the newest release's timer may close it
                self._linger_turns[feed.key] = self._linger_turn
                timer = threading.Timer(self.linger_s, self._linger_over,
                                        (feed, self._linger_turn))
                timer.daemon = True
                timer.start()
                return
            self._retired.append(feed)
            self._prune_retired()
        feed.stop()

    def _linger_over(self, feed: Feed, turn: int) -> None:
        with self._lock:
            if self._lingering.get(feed.key) is not feed or \
                    self._linger_turns.get(feed.key) != turn:
                return  # shown again meanwhile, released again later, or all stopped
            del self._lingering[feed.key]
            self._retired.append(feed)
            self._prune_retired()
        feed.stop()

    def _prune_retired(self) -> None:
        """Forget finished feeds (their buffers go with them); keep their frame counts."""
        alive = []
        for f in self._retired:  # one look at each: a feed ending meanwhile is counted once
            if f.alive:
                alive.append(f)
            else:
                self._decoded_closed += f.decoded
        self._retired = alive

    def decoded_total(self) -> int:
        """Frames decoded by every feed this manager ever opened (for measurements)."""
        with self._lock:
            self._prune_retired()
            return self._decoded_closed + sum(
                f.decoded for f in [*self._feeds.values(), *self._lingering.values(),
                                    *self._retired])

    def feeds(self) -> list[Feed]:
        """The streams in use (not those lingering before they close)."""
        with self._lock:
            return list(self._feeds.values())

    def lingering(self) -> list[Feed]:
        with self._lock:
            return list(self._lingering.values())

    def stop_all(self, timeout: float = 2.0, wait_hung: bool = True) -> list[str]:
        """Stop every stream; wait at most `timeout` s in total, and not again for a stream
        an earlier call already waited for. Returns the cameras this call gave up on.

        `wait_hung=False` (the window closing, main.py's exit): wait only for the streams
        that are delivering frames. They stop at their next frame and close cleanly (RTSP
        TEARDOWN). A stream with no fresh frame is blocked in a read or an open that only its
        own timeout ends (read_s, open_s: 5 s); waiting for it would hold up exit for
        nothing (measured: `./nazar bench exit`). Those get HUNG_GRACE_S (a worker asleep
        between retries ends at once), are not marked as waited for, and are named in the
        result."""
        with self._lock:
            feeds = list(self._feeds.values()) + list(self._lingering.values()) + self._retired
            self._lingering.clear()
            self._feeds.clear()
            self._refs.clear()
            self._standby.clear()
            self._retired = []
            hubs, self._hubs = list(self._hubs.values()), {}
        delivering = {f for f in feeds if wait_hung or f.delivering()}  # before stop(): closed
        for hub in hubs:
            hub.stop()
        for f in feeds:
            f.stop()
        # A feed an earlier stop_all already waited for (a camera hung in a network read) is
        # not waited for again: exit takes one timeout, not two.
        waited = [f for f in feeds if f not in self._given_up]
        start = time.monotonic()
        deadline = start + timeout
        grace = min(deadline, start + HUNG_GRACE_S)
        hung: list[Feed] = []
        passed: list[Feed] = []
        for f in waited:
            if f in delivering:
                if not f.join(max(0.0, deadline - time.monotonic())):
                    hung.append(f)
            elif not f.join(max(0.0, grace - time.monotonic())):
                passed.append(f)
        with self._lock:
            self._retired.extend(f for f in feeds if f.alive)
        if hung:  # blocked inside a network read: daemon threads, they cannot hold up exit
            log.warning("streams still closing: %s", ", ".join(f.camera_id for f in hung))
            self._given_up.update(hung)
        if passed:
            log.info("not waiting for streams without a fresh frame (blocked until their "
                     "timeout): %s", ", ".join(f.camera_id for f in passed))
        return [f.camera_id for f in hung + passed]
