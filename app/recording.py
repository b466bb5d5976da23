"""Incident recording: each selected camera's stream written to disk as it arrives.

    feed worker (PyAV demux) --packet--> PacketBuffer (the last 60 s, every open feed)
                                  \\--> CameraRecording --mux (copy, never re-encoded)-->
                                        <root>/<incident>/<camera>/<camera>-0001-<UTC>.mkv
    closed segment --> finisher thread: SHA-256, size --> <root>/<incident>/recordings.json

- Packets are copied, not decoded or encoded: recording costs a memory copy and a write.
- Every open feed keeps its last 35 s of packets (`PacketBuffer`), from a keyframe on: the
  pre-roll of a camera that was already on the wall when the incident was raised (the last
  30 s), and the tile's instant replay (app/replay.py).
- One Matroska file per camera per segment of `SEGMENT_S` seconds, cut at a keyframe, closed
  cleanly (a crash loses at most the open segment; every closed one plays). The manifest
  lists only closed, hashed segments; at start, segments a crash left unlisted are hashed
  and listed as "not closed cleanly".
- Disk budget: no new segment is opened when less than `min_free_bytes` would be left; a
  warning says so. Nothing recorded is ever deleted by Nazar.

`RecordingDesk` follows the alarm desk: the cameras of every open incident are recorded from
the raise to the clear (the first `MAX_CAMERAS` picks of each). A camera not shown on the wall
is opened on standby (keyframes decoded, every packet recorded).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import re
import shutil
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.decoders import decoder_name

if TYPE_CHECKING:  # only for types: app.feeds imports this module
    from app.alarm import AlarmDesk
    from app.feeds import Feed, FeedManager
    from app.registry import Registry

log = logging.getLogger(__name__)

SEGMENT_S = 60.0  # a crash loses at most this much of one camera
PREROLL_S = 30.0  # of a camera already open when the incident is raised
BUFFER_S = 35.0  # kept per open feed: a 30 s pre-roll from a keyframe, and instant replay
BUFFER_MAX_BYTES = 24 * 1024 * 1024  # per feed, whatever the bit rate (1080p at 4 Mbit/s: 17 MB)
MAX_CAMERAS = 32  # recorded per incident: its best-placed picks
MIN_FREE_MB = int(os.environ.get("NAZAR_RECORDING_MIN_FREE_MB", "2048"))
MANIFEST = "recordings.json"


def default_recordings_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "nazar" / "recordings"


def safe_name(name: str) -> str:
    """A file-system-safe directory or file name for an incident or camera id."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60] or "_"


@dataclass(frozen=True)
class PacketCopy:
    """One demuxed packet, copied out of FFmpeg (safe to keep and to mux later)."""

    data: bytes
    pts: int | None
    dts: int | None
    keyframe: bool
    time_base: Any  # fractions.Fraction
    session: int  # which opening of the stream it came from (templates differ)
    at: float  # time.time() when it arrived

    @property
    def seconds(self) -> float | None:
        t = self.pts if self.pts is not None else self.dts
        return None if t is None or not self.time_base else float(t * self.time_base)


@dataclass
class StreamTemplate:
    """What a muxer or a replay decoder needs of the stream a packet came from."""

    session: int
    stream: Any  # the input av stream (open while its session is)
    codec: str
    extradata: bytes | None
    width: int
    height: int


class PacketBuffer:
    """The last BUFFER_S seconds of one feed's packets, from a keyframe on. Thread-safe:
    the feed worker appends, the GUI (replay) and recordings read copies."""

    def __init__(self, keep_s: float = BUFFER_S, max_bytes: int = BUFFER_MAX_BYTES):
        self.keep_s = keep_s
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._packets: deque[PacketCopy] = deque()
        self._bytes = 0
        self.template: StreamTemplate | None = None

    def new_session(self, template: StreamTemplate) -> None:
        with self._lock:
            self.template = template
            self._packets.clear()  # another opening: other timestamps, maybe other codec
            self._bytes = 0

    def append(self, p: PacketCopy) -> None:
        with self._lock:
            if not self._packets and not p.keyframe:
                return  # a buffer always starts at a keyframe
            self._packets.append(p)
            self._bytes += len(p.data)
            self._trim()

    def _trim(self) -> None:
        """Drop whole GOPs from the front while more than keep_s or max_bytes is held."""
        while True:
            first, last = self._packets[0], self._packets[-1]
            span = (last.at - first.at)
            if span <= self.keep_s and self._bytes <= self.max_bytes:
                return
            nxt = next((i for i, p in enumerate(self._packets) if i and p.keyframe), None)
            if nxt is None:
                return  # one GOP only: keep it
            for _ in range(nxt):
                self._bytes -= len(self._packets.popleft().data)

    def last(self, seconds: float) -> tuple[StreamTemplate | None, list[PacketCopy]]:
        """The packets of about the last `seconds`, starting at a keyframe."""
        with self._lock:
            packets = list(self._packets)
            template = self.template
        if not packets:
            return template, []
        since = packets[-1].at - seconds
        start = 0  # the keyframe at or before `since` (the first one if none is)
        for i, p in enumerate(packets):
            if p.keyframe:
                if p.at > since and i:
                    break
                start = i
        return template, packets[start:]

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._packets[-1].at - self._packets[0].at if self._packets else 0.0

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes


@dataclass
class ClosedSegment:
    incident: str
    camera: str
    path: Path
    start_utc: str
    end_utc: str
    seconds: float
    packets: int
    clean: bool = True


class CameraRecording:
    """One camera's recording for one incident: segments muxed in the feed's worker thread.
    `write` is called for every packet by the worker; `stop` from any thread."""

    def __init__(self, incident: str, camera: str, directory: Path,
                 finish: Callable[[ClosedSegment], None], room: Callable[[], bool],
                 segment_s: float = SEGMENT_S, preroll_s: float = PREROLL_S):
        self.incident, self.camera = incident, camera
        self.directory = directory
        self._finish = finish
        self._room = room  # is there disk space for another segment?
        self.segment_s = segment_s
        self.preroll_s = preroll_s
        self._lock = threading.Lock()
        self._out: Any = None
        self._ostream: Any = None
        self._session = -1
        self._path: Path | None = None
        # Numbered on from what is there (the wall restarted during the incident).
        self._seq = len(list(directory.glob("*.mkv"))) if directory.is_dir() else 0
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._start_utc = ""
        self._packets = 0
        self._needs_preroll = True
        self._offset = 0  # the segment's first timestamp, subtracted from every packet's
        self.stopped = False
        self.segments = 0
        self.packets_written = 0
        self.bytes_written = 0
        self.problem = ""  # the last reason it could not write (shown in the log)

    def write(self, p: PacketCopy, template: StreamTemplate, buffer: PacketBuffer) -> None:
        with self._lock:
            if self.stopped:
                return
            if self._needs_preroll:  # the buffer already holds p: write the last 30 s
                self._needs_preroll = False
                _, backlog = buffer.last(self.preroll_s)
                backlog = [b for b in backlog if b.session == p.session]
                if backlog and backlog[-1] is p:
                    for b in backlog:
                        self._write(b, template)
                    return
            self._write(p, template)

    def _write(self, p: PacketCopy, template: StreamTemplate) -> None:
        t = p.seconds
        if self._out is not None and (p.session != self._session or (
                p.keyframe and t is not None and self._first_t is not None
                and t - self._first_t >= self.segment_s)):
            self._close()
        if self._out is None:
            if not p.keyframe:
                return  # a segment starts at a keyframe
            if not self._open(template, p):
                return
        pkt = av_packet(p, self._offset)
        pkt.stream = self._ostream
        try:
            self._out.mux(pkt)
        except Exception as exc:  # noqa: BLE001 - a bad packet must not stop the feed
            self.problem = f"cannot write a packet: {exc}"
            return
        self._packets += 1
        self.packets_written += 1
        self.bytes_written += len(p.data)
        if t is not None:
            self._first_t = t if self._first_t is None else self._first_t
            self._last_t = t

    def _open(self, template: StreamTemplate, p: PacketCopy) -> bool:
        if not self._room():
            self.problem = "disk almost full: not recording"
            return False
        import av
        self._seq += 1
        started = datetime.fromtimestamp(p.at, timezone.utc)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{safe_name(self.camera)}-{self._seq:04d}-" \
                                f"{started:%Y%m%dT%H%M%SZ}.mkv"
        try:
            out = av.open(str(path), "w", format="matroska")
            self._ostream = out.add_stream_from_template(template.stream)
        except Exception as exc:  # noqa: BLE001 - disk or codec trouble: say it, go on
            self.problem = f"cannot open {path.name}: {exc}"
            log.warning("recording %s of %s: %s", self.camera, self.incident, self.problem)
            return False
        self._out, self._path, self._session = out, path, p.session
        # Each segment's timestamps start at 0: it plays (and probes) as its own recording.
        self._offset = p.dts if p.dts is not None else (p.pts or 0)
        self._first_t = self._last_t = None
        self._start_utc = started.isoformat()
        self._packets = 0
        return True

    def _close(self, clean: bool = True) -> None:
        out, path = self._out, self._path
        self._out = self._ostream = None
        if out is None or path is None:
            return
        try:
            out.close()
        except Exception as exc:  # noqa: BLE001
            self.problem = f"cannot close {path.name}: {exc}"
            clean = False
        seconds = (self._last_t - self._first_t) if self._first_t is not None and \
            self._last_t is not None else 0.0
        self.segments += 1
        self._finish(ClosedSegment(self.incident, self.camera, path, self._start_utc,
                                   datetime.now(timezone.utc).isoformat(), seconds,
                                   self._packets, clean))

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            self._close()

    def session_ended(self) -> None:
        """The stream broke (the feed reconnects): close the segment now, not at the next
        packet, which may be hours away."""
        with self._lock:
            self._close()


def av_packet(p: PacketCopy, offset: int = 0) -> Any:
    """A PyAV packet of a copy (timestamps less `offset`), for a muxer or a decoder."""
    import av
    pkt = av.Packet(p.data)
    pkt.pts = None if p.pts is None else p.pts - offset
    pkt.dts = None if p.dts is None else p.dts - offset
    pkt.time_base = p.time_base
    pkt.is_keyframe = p.keyframe
    return pkt


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Manifests:
    """`<root>/<incident>/recordings.json`, written atomically by one finisher thread."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()

    def path(self, incident: str) -> Path:
        return self.root / safe_name(incident) / MANIFEST

    def read(self, incident: str) -> dict:
        try:
            data = json.loads(self.path(incident).read_text("utf-8"))
        except (OSError, ValueError):
            return {"incident": incident, "files": []}
        return data if isinstance(data, dict) and isinstance(data.get("files"), list) \
            else {"incident": incident, "files": []}

    def add(self, seg: ClosedSegment) -> dict:
        entry = {"camera": seg.camera,
                 "path": seg.path.relative_to(self.root / safe_name(seg.incident)).as_posix(),
                 "sha256": sha256_file(seg.path), "bytes": seg.path.stat().st_size,
                 "start_utc": seg.start_utc, "end_utc": seg.end_utc,
                 "seconds": round(seg.seconds, 3), "packets": seg.packets,
                 "closed_cleanly": seg.clean}
        with self._lock:
            data = self.read(seg.incident)
            data["files"] = [f for f in data["files"] if f.get("path") != entry["path"]]
            data["files"].append(entry)
            target = self.path(seg.incident)
            tmp = target.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        return entry

    def recover(self) -> list[str]:
        """Segments a crash left open (on disk, not in their manifest): hash and list them,
        marked as not closed cleanly. Returns their paths."""
        found: list[str] = []
        if not self.root.is_dir():
            return found
        for inc_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            listed = {f.get("path") for f in self.read(inc_dir.name)["files"]}
            for mkv in sorted(inc_dir.glob("*/*.mkv")):
                rel = mkv.relative_to(inc_dir).as_posix()
                if rel in listed:
                    continue
                t = datetime.fromtimestamp(mkv.stat().st_mtime, timezone.utc).isoformat()
                self.add(ClosedSegment(inc_dir.name, mkv.parent.name, mkv, "", t, 0.0, 0,
                                       clean=False))
                found.append(str(mkv))
        return found


class RecordingStore:
    """Recordings of one console: the finisher thread, the disk budget, the manifests."""

    def __init__(self, root: Path | None = None, min_free_bytes: int = MIN_FREE_MB << 20,
                 segment_s: float = SEGMENT_S, preroll_s: float = PREROLL_S,
                 free_bytes: Callable[[Path], int] | None = None):
        self.root = Path(root) if root else default_recordings_dir()
        self.min_free_bytes = min_free_bytes
        self.segment_s, self.preroll_s = segment_s, preroll_s
        self._free = free_bytes or (lambda p: shutil.disk_usage(p).free)
        self.manifests = Manifests(self.root)
        self._queue: queue.Queue[ClosedSegment | threading.Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="recording-finisher",
                                        daemon=True)
        self._started = False
        self.warning = ""  # for the officer: the disk is almost full
        self.on_warning: Callable[[str], None] | None = None
        self.finished: list[dict] = []

    def start(self) -> list[str]:
        self.root.mkdir(parents=True, exist_ok=True)
        recovered = self.manifests.recover()
        if recovered:
            log.warning("recordings: %d segment(s) not closed cleanly (a crash) listed: %s",
                        len(recovered), ", ".join(recovered))
        if not self._started:
            self._started = True
            self._thread.start()
        return recovered

    def room(self) -> bool:
        """Space for one more segment? Below the budget: no, and a warning (once)."""
        try:
            free = self._free(self.root)
        except OSError:
            free = 0
        if free >= self.min_free_bytes:
            if self.warning:
                self.warning = ""
            return True
        text = (f"Recording paused: {free >> 20} MB free on {self.root} (keeps "
                f"{self.min_free_bytes >> 20} MB free); nothing recorded is deleted. Free "
                "space to go on recording.")
        if text.split(":")[0] != self.warning.split(":")[0]:
            log.warning("%s", text)
            if self.on_warning is not None:
                self.on_warning(text)
        self.warning = text
        return False

    def recording(self, incident: str, camera: str) -> CameraRecording:
        return CameraRecording(incident, camera, self.root / safe_name(incident) / safe_name(camera),
                               self._queue.put, self.room, self.segment_s, self.preroll_s)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):  # flush(): all before it is done
                item.set()
                continue
            try:
                self.finished.append(self.manifests.add(item))
            except OSError as exc:
                log.warning("recording %s: cannot list %s: %s", item.incident, item.path, exc)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every segment closed so far is hashed and listed."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self) -> None:
        if self._started:
            self._queue.put(None)


class RecordingDesk:
    """Records the cameras of every open incident, from the raise to the clear.

    Follows the alarm desk (`alarm.changed`): an incident's first MAX_CAMERAS picks are
    recorded. A camera already open on the wall is recorded from that feed, with its
    pre-roll; any other is opened (main stream) on standby: keyframes decoded, every packet
    recorded. Each recording holds its feed open until the incident is cleared."""

    def __init__(self, recorder: RecordingStore, feeds: FeedManager, registry: Registry,
                 alarm: AlarmDesk):
        self.recorder = recorder
        self.feeds = feeds
        self.registry = registry
        self.alarm = alarm
        self._active: dict[tuple[str, str], tuple[Feed, CameraRecording]] = {}
        self._not_recorded = ""  # the warning last given (OpenCV decoder: no packets)
        alarm.changed.connect(self.sync)
        self.sync()  # incidents still open after a restart: recorded on

    def wanted(self) -> list[tuple[str, str]]:
        out = []
        for o in self.alarm.open:
            for pick in o.picks[:MAX_CAMERAS]:
                if pick.camera_id in self.registry.cameras:
                    out.append((o.incident.id, pick.camera_id))
        return out

    def sync(self) -> None:
        want = self.wanted()
        if want and decoder_name() == "opencv":
            # OpenCV's VideoCapture hands over pictures, never packets: opening the cameras
            # would only decode their main streams in full for nothing. Said, not hidden.
            self._say_not_recorded(sorted({incident for incident, _ in want}))
            want = []
        for key in [k for k in self._active if k not in want]:
            self._stop(key)
        for key in want:
            if key not in self._active:
                self._start(*key)

    def _start(self, incident: str, camera_id: str) -> None:
        from app.relay import route_for
        cam = self.registry.cameras[camera_id]
        open_streams = {f.source.url: f for f in self.feeds.feeds() if f.camera_id == cam.id}
        stream, source = "main", cam.main
        if cam.main.url not in open_streams and cam.sub is not None \
                and cam.sub.url in open_streams:  # on the wall as its sub stream: pre-roll
            stream, source = "sub", cam.sub
        feed = self.feeds.acquire(cam.id, source, cam.name,
                                  route=route_for(self.registry, cam, stream), standby=True)
        rec = self.recorder.recording(incident, cam.id)
        feed.add_recording(rec)
        self._active[(incident, camera_id)] = (feed, rec)
        log.info("recording %s for %s (%s stream)", cam.id, incident, stream)

    def _stop(self, key: tuple[str, str]) -> None:
        feed, rec = self._active.pop(key)
        feed.remove_recording(rec)  # closes its open segment
        self.feeds.release(feed, standby=True)

    def _say_not_recorded(self, incidents: list[str]) -> None:
        text = (f"Not recording {', '.join(incidents)}: the OpenCV decoder (--decoder opencv) "
                "keeps no packets to record. Restart Nazar with the default decoder (PyAV) "
                "to record incidents.")
        if text == self._not_recorded:
            return
        self._not_recorded = text
        log.warning("%s", text)
        if self.recorder.on_warning is not None:
            self.recorder.on_warning(text)

    def recording(self) -> list[tuple[str, str]]:
        """(incident, camera) pairs being recorded now."""
        return list(self._active)

    def stop_all(self) -> None:
        """Close every open segment (at exit): each closed one is listed and hashed."""
        for key in list(self._active):
            self._stop(key)
        self.recorder.flush()
