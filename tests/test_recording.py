"""Incident recording (app/recording.py): packets copied from the real RTSP stream into
segments that ffprobe plays, hashes that match the manifest, a pre-roll, a kill -9 that
leaves every closed segment playable, and a disk budget that pauses instead of deleting."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest

from app.feeds import FeedManager
from app.recording import MANIFEST, PacketBuffer, PacketCopy, RecordingStore, sha256_file
from app.urls import parse_source
from tests.support.clips import make_clip
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[1]
FPS, GOP = 15, 15  # a keyframe every second


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries",
         "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json",
         str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"ffprobe cannot read {path.name}: {out.stderr}"
    data = json.loads(out.stdout)
    return {**data["streams"][0], "duration": float(data["format"]["duration"])}


@pytest.fixture
def camera(clip_dir, rtsp_server_factory):
    clip = make_clip(clip_dir, 640, 360, FPS, 6, gop=GOP)
    server = rtsp_server_factory({"/cam1": clip})
    return server.url("/cam1")


@pytest.mark.rtsp
def test_segments_play_with_their_pre_roll_and_hashes_match(camera, tmp_path):
    feeds = FeedManager()
    try:
        feed = feeds.acquire("CAM-1", parse_source(camera))
        wait_for(lambda: feed.packets.seconds >= 3.0, 30, "3 s of packets buffered")
        buffered = feed.packets.seconds
        recorder = RecordingStore(tmp_path / "rec", min_free_bytes=0, segment_s=3.0)
        recorder.start()
        rec = recorder.recording("INC-1", "CAM-1")
        feed.add_recording(rec)
        wait_for(lambda: rec.segments >= 2, 60, "two segments closed")
        feed.remove_recording(rec)
        assert recorder.flush(10)
    finally:
        feeds.stop_all()
    manifest = json.loads((tmp_path / "rec" / "INC-1" / MANIFEST).read_text())
    files = manifest["files"]
    assert len(files) == rec.segments >= 3  # two by time, one closed by the stop
    on_disk = sorted(p.relative_to(tmp_path / "rec" / "INC-1").as_posix()
                     for p in (tmp_path / "rec" / "INC-1").glob("*/*.mkv"))
    assert sorted(f["path"] for f in files) == on_disk
    for f in files:
        path = tmp_path / "rec" / "INC-1" / f["path"]
        assert f["sha256"] == sha256_file(path) and f["bytes"] == path.stat().st_size
        info = probe(path)
        assert info["codec_name"] == "h264" and (info["width"], info["height"]) == (640, 360)
        # the expected duration (its packets' timestamps) within one keyframe interval
        assert abs(info["duration"] - f["seconds"]) <= GOP / FPS + 0.1, (f, info)
        assert int(info["nb_read_frames"]) >= round(f["seconds"] * FPS) - 1  # all decode
        assert f["closed_cleanly"]
    # The first segment starts with the pre-roll: what was buffered before the raise.
    assert files[0]["seconds"] >= buffered - GOP / FPS - 0.1
    assert files[0]["path"].startswith("CAM-1/CAM-1-0001-")


@pytest.mark.rtsp
def test_a_kill_mid_incident_leaves_every_closed_segment_playable(camera, tmp_path):
    root = tmp_path / "rec"
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.record_child", camera,
                             str(root), "1.5"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        for line in proc.stdout:  # wait for two closed, listed segments
            if line.startswith("closed ") and int(line.split()[1]) >= 2:
                break
        else:
            pytest.fail("the recording process ended: " + (proc.stdout.read() or ""))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    listed = json.loads((root / "INC-KILL" / MANIFEST).read_text())["files"]
    assert len(listed) >= 2
    for f in listed:  # closed before the kill: listed, hashed, playable
        path = root / "INC-KILL" / f["path"]
        assert sha256_file(path) == f["sha256"]
        assert probe(path)["duration"] > 0
    # The next start lists what the kill left open, flagged, without deleting anything.
    before = sorted(root.glob("INC-KILL/*/*.mkv"))
    recovered = RecordingStore(root, min_free_bytes=0).start()
    after = json.loads((root / "INC-KILL" / MANIFEST).read_text())["files"]
    assert sorted(root.glob("INC-KILL/*/*.mkv")) == before
    assert len(after) == len(before) == len(listed) + len(recovered)
    assert all(not f["closed_cleanly"] for f in after if f not in listed)


def packet(at: float, key: bool, size: int = 100) -> PacketCopy:
    return PacketCopy(b"x" * size, int(at * 90000), int(at * 90000), key, Fraction(1, 90000),
                      1, at)


def test_the_buffer_keeps_whole_gops_of_the_last_seconds():
    buf = PacketBuffer(keep_s=5.0, max_bytes=10**9)
    buf.append(packet(0.0, False))  # a buffer starts at a keyframe
    assert buf.last(60)[1] == []
    for i in range(100):  # 10 s at 10 fps, a keyframe every second
        buf.append(packet(i / 10, i % 10 == 0))
    _, kept = buf.last(60)
    assert kept[0].keyframe and kept[0].at == 5.0 and buf.seconds <= 5.0  # 4.0 made it 5.9 s
    _, last2 = buf.last(2.0)  # the last 2 s, from the keyframe at or before them
    assert last2[0].keyframe and last2[0].at == 7.0
    small = PacketBuffer(keep_s=60, max_bytes=2500)  # the byte cap drops whole GOPs too
    for i in range(40):
        small.append(packet(i / 10, i % 10 == 0, size=100))
    assert small.nbytes <= 2500 and small.last(60)[1][0].keyframe


def test_a_full_disk_pauses_recording_with_a_warning_and_deletes_nothing(tmp_path):
    free = {"bytes": 10 << 30}
    warned = []
    recorder = RecordingStore(tmp_path, min_free_bytes=2 << 30, free_bytes=lambda p: free["bytes"])
    recorder.on_warning = warned.append
    old = tmp_path / "INC-0" / "CAM" / "CAM-0001-old.mkv"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"evidence")
    assert recorder.room() and recorder.warning == ""
    free["bytes"] = 1 << 30
    assert not recorder.room() and not recorder.room()
    assert len(warned) == 1 and "Recording paused: 1024 MB free" in warned[0]
    assert "nothing recorded is deleted" in recorder.warning
    rec = recorder.recording("INC-1", "CAM")
    rec.write(packet(0.0, True), None, PacketBuffer())  # type: ignore[arg-type]
    assert rec.segments == 0 and "disk almost full" in rec.problem
    assert old.read_bytes() == b"evidence"
    free["bytes"] = 10 << 30
    assert recorder.room() and recorder.warning == ""


@pytest.mark.rtsp
def test_an_incident_on_the_wall_records_its_cameras_from_raise_to_clear(
        qtbot, write_yaml, tmp_path, camera):
    """Through the real window: the raise records every selected camera (the one on the wall
    with its pre-roll, the others opened on standby); the clear closes them, listed."""
    from app.layouts import LAYOUTS, WallModel
    from app.registry import load_registry
    from tests.conftest import camera_yaml, registry_text
    from widgets.main_window import MainWindow

    cams = "".join(camera_yaml(f"CAM-{i}", camera) for i in (1, 2, 3))
    reg = load_registry(write_yaml(registry_text(cams)))
    recorder = RecordingStore(tmp_path / "rec", min_free_bytes=0, segment_s=2.0)
    win = MainWindow(reg, WallModel(layout=LAYOUTS["1"], view=["CAM-1"]), FeedManager(),
                     recorder=recorder)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: any(f.camera_id == "CAM-1" and f.packets.seconds >= 2.0
                                    for f in win.feeds.feeds()), timeout=30000)
        raised = datetime.now(timezone.utc)
        result = win.commands.run("raise_incident", 22.553, 88.351, kind="fire")
        incident = result.value
        assert sorted(win.recordings.recording()) == [(incident, f"CAM-{i}") for i in (1, 2, 3)]
        recs = [rec for f in win.feeds.feeds() for rec in f.recordings]
        assert len(recs) == 3
        qtbot.waitUntil(lambda: all(r.segments >= 1 for r in recs), timeout=60000)
        win.commands.run("clear_incident", confirmed=True)
        cleared = datetime.now(timezone.utc)
        assert win.recordings.recording() == []
        assert all(r.stopped for r in recs)
        assert recorder.flush(10)
        # CAM-2 and CAM-3 were open only to be recorded: closed with the incident.
        qtbot.waitUntil(lambda: {f.camera_id for f in win.feeds.feeds()} == {"CAM-1"},
                        timeout=10000)
    finally:
        win.close()
    files = json.loads((tmp_path / "rec" / incident / MANIFEST).read_text())["files"]
    assert {f["camera"] for f in files} == {"CAM-1", "CAM-2", "CAM-3"}
    first = {f["camera"]: f for f in reversed(files)}  # each camera's first segment
    start = {c: datetime.fromisoformat(f["start_utc"]) for c, f in first.items()}
    assert start["CAM-1"] <= raised - timedelta(seconds=1)  # its pre-roll: before the raise
    assert start["CAM-2"] >= raised - timedelta(seconds=0.5)  # opened for it: no pre-roll
    played = 0.0
    for f in files:
        path = tmp_path / "rec" / incident / f["path"]
        assert sha256_file(path) == f["sha256"]
        if f["camera"] == "CAM-1":
            played += probe(path)["duration"]
    # CAM-1's files, played one after the other, last from its pre-roll's start to the clear,
    # within one keyframe interval (and a frame per segment boundary).
    expected = (cleared - start["CAM-1"]).total_seconds()
    assert abs(played - expected) <= GOP / FPS + 0.5, (played, expected)


def test_incidents_still_open_after_a_restart_are_recorded_on(write_yaml, tmp_path, clip_dir):
    from app.alarm import AlarmDesk
    from app.commands import WallCommands
    from app.layouts import LAYOUTS, WallModel
    from app.recording import RecordingDesk
    from app.registry import load_registry
    from app.settings import SettingsStore
    from tests.conftest import camera_yaml, registry_text

    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=4, gop=10)
    reg = load_registry(write_yaml(registry_text(camera_yaml("CAM-1", str(clip)))))
    store = SettingsStore(tmp_path / "settings")
    incident = None
    for run in (1, 2):  # the wall, then the wall again after a restart
        feeds = FeedManager()
        cmds = WallCommands(WallModel(layout=LAYOUTS["2x2"], view=[]), reg, store=store)
        desk = AlarmDesk(cmds, reg, store)
        recordings = RecordingDesk(RecordingStore(tmp_path / "rec", min_free_bytes=0,
                                                  segment_s=1.0), feeds, reg, desk)
        if run == 1:
            incident = cmds.run("raise_incident", 22.553, 88.351).value
        assert recordings.recording() == [(incident, "CAM-1")]
        rec = next(r for f in feeds.feeds() for r in f.recordings)
        wait_for(lambda: rec.segments >= 1, 30, "a segment")  # noqa: B023 (waited at once)
        recordings.stop_all()
        feeds.stop_all()
    store.close()
    names = sorted(p.name for p in (tmp_path / "rec" / incident / "CAM-1").glob("*.mkv"))
    assert len(names) >= 4 and names[0].startswith("CAM-1-0001-")
    numbers = [int(n.split("-")[2]) for n in names]
    assert numbers == list(range(1, len(names) + 1))  # numbered on, nothing overwritten


def test_the_opencv_decoder_says_it_cannot_record_and_opens_nothing(write_yaml, tmp_path,
                                                                   clip_dir, monkeypatch):
    """--decoder opencv hands over no packets: an incident raised is said not to be recorded,
    once, naming the incident, and no camera is opened to decode its main stream for
    nothing. Back on PyAV, the same incident is recorded."""
    from app.alarm import AlarmDesk
    from app.commands import WallCommands
    from app.layouts import LAYOUTS, WallModel
    from app.recording import RecordingDesk
    from app.registry import load_registry
    from app.settings import SettingsStore
    from tests.conftest import camera_yaml, registry_text

    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=4, gop=10)
    reg = load_registry(write_yaml(registry_text(camera_yaml("CAM-1", str(clip)))))
    store = SettingsStore(tmp_path / "settings")
    feeds = FeedManager()
    cmds = WallCommands(WallModel(layout=LAYOUTS["2x2"], view=[]), reg, store=store)
    desk = AlarmDesk(cmds, reg, store)
    recorder = RecordingStore(tmp_path / "rec", min_free_bytes=0, segment_s=1.0)
    warnings: list[str] = []
    recorder.on_warning = warnings.append
    monkeypatch.setenv("NAZAR_DECODER", "opencv")
    recordings = RecordingDesk(recorder, feeds, reg, desk)
    try:
        incident = cmds.run("raise_incident", 22.553, 88.351).value
        recordings.sync()  # again: said once, not at every change
        assert recordings.recording() == [] and feeds.feeds() == []
        assert len(warnings) == 1 and incident in warnings[0] and "--decoder opencv" in warnings[0]
        monkeypatch.setenv("NAZAR_DECODER", "pyav")
        recordings.sync()
        assert recordings.recording() == [(incident, "CAM-1")]
    finally:
        recordings.stop_all()
        feeds.stop_all()
        store.close()
