"""Demo clips (app/demo.py): real clips written into tmp_path and decoded by PyAV and OpenCV,
start_frame, concurrent callers, helper processes, and the cache cap. Small sizes and short
clips keep them fast; no test asserts a time budget (that is `./nazar bench demo`)."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from app import demo

SMALL = demo.DemoSpec("junction", 96, 54, 6.0, seconds=4)  # 24 frames, a keyframe every 6


@pytest.fixture(autouse=True)
def fresh_pools(monkeypatch):
    """Each test gets its own helper pools, and their processes are gone after it."""
    monkeypatch.setattr(demo, "_pools", {})
    monkeypatch.delenv("NAZAR_DEMO_CODEC", raising=False)
    monkeypatch.delenv("NAZAR_DEMO_CACHE_MB", raising=False)
    monkeypatch.delenv("NAZAR_DEMO_WORKERS", raising=False)
    yield
    pools = list(demo._pools.values())
    helpers = [h for p in pools for h in p._idle]
    demo.close_helpers()
    for h in helpers:
        assert h.proc.wait(timeout=10) is not None


def count_draws(monkeypatch) -> list[str]:
    """Every clip drawing (helper or in-process) goes through _Pool.draw: record them."""
    calls: list[str] = []
    original = demo._Pool.draw

    def draw(self, path, spec, camera_id, title):
        calls.append(camera_id)
        return original(self, path, spec, camera_id, title)

    monkeypatch.setattr(demo._Pool, "draw", draw)
    return calls


def decode_pyav(path: Path) -> tuple[list[np.ndarray], list[bool], av.video.stream.VideoStream]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames, keys = [], []
        for f in c.decode(stream):
            frames.append(f.to_ndarray(format="bgr24"))
            keys.append(bool(f.key_frame))
        return frames, keys, stream


def drawn(spec: demo.DemoSpec, camera_id: str, title: str) -> list[np.ndarray]:
    return [f.copy() for f in demo.Painter(spec, camera_id, title).bgr_frames()]


# -- the clip -----------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", ["0", "2"])  # drawn here, and by a helper process
def test_clip_is_h264_in_mp4_and_pyav_decodes_every_frame(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", workers)
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    assert path.suffix == ".mp4" and path.parent == tmp_path and path.stat().st_size > 0
    assert not list(tmp_path.glob(".partial-*"))
    frames, keys, stream = decode_pyav(path)
    assert stream.codec_context.name == "h264"
    assert float(stream.average_rate) == pytest.approx(SMALL.fps)
    assert len(frames) == demo.frames_in_clip(SMALL) == 24
    assert frames[0].shape == (54, 96, 3)
    gop = demo.keyframe_interval(SMALL)
    assert gop == 6
    assert [i for i, k in enumerate(keys) if k] == list(range(0, 24, gop))  # 1 s GOPs
    # Tagged as what cv2's BGR->I420 produced: limited range, BT.601.
    assert stream.codec_context.color_range == 1 and stream.codec_context.colorspace == 6


def test_opencv_decodes_the_clip_too(tmp_path):
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        assert cap.isOpened()
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(SMALL.fps)
        n = 0
        while True:
            ok, img = cap.read()
            if not ok:
                break
            assert img.shape == (54, 96, 3)
            n += 1
        assert n == 24
    finally:
        cap.release()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(cv2.PSNR(a, b))


def test_decoded_pictures_are_the_drawn_ones(tmp_path):
    spec = demo.DemoSpec("street", 320, 180, 4.0, seconds=6)
    path = demo.ensure_clip(tmp_path, spec, "KP-1", "Gariahat")
    frames, _, _ = decode_pyav(path)
    ref = drawn(spec, "KP-1", "Gariahat")
    assert len(frames) == len(ref) == 24
    for i, img in enumerate(frames):
        same = psnr(img, ref[i])
        assert same > 30, f"frame {i}: {same:.1f} dB against its own drawing"
        other = psnr(img, ref[(i + 4) % len(ref)])  # a second later: traffic and clock moved
        assert other < same - 3, f"frame {i} looks like the frame a second later"
    # The colours come back as drawn (BT.601 limited range both ways): the average colour
    # of the picture within a few levels.
    assert np.abs(frames[10].mean(axis=(0, 1)) - ref[10].mean(axis=(0, 1))).max() < 4


def test_mjpeg_fallback_writes_an_avi_both_decoders_read(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_CODEC", "mjpeg")
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    assert path.suffix == ".avi"
    frames, keys, stream = decode_pyav(path)
    assert stream.codec_context.name == "mjpeg"
    assert len(frames) == 24 and all(keys)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert cap.isOpened() and cap.get(cv2.CAP_PROP_FRAME_COUNT) == 24
    cap.release()
    monkeypatch.delenv("NAZAR_DEMO_CODEC")
    assert demo.clip_path(tmp_path, SMALL, "CAM-1", "Park Street") != path  # not mixed up


def test_clip_names_carry_the_generator_version_and_differ_per_camera(tmp_path):
    a = demo.clip_path(tmp_path, SMALL, "CAM-1", "One")
    assert f"-v{demo.GENERATOR_VERSION}-" in a.name
    assert a != demo.clip_path(tmp_path, SMALL, "CAM-2", "One")
    assert a != demo.clip_path(tmp_path, SMALL, "CAM-1", "Other title")
    assert a != demo.clip_path(tmp_path, demo.DemoSpec("junction", 96, 54, 5.0, 4), "CAM-1", "One")
    assert a == demo.clip_path(tmp_path, SMALL, "CAM-1", "One")


@pytest.mark.parametrize("scene,size", [("junction", (640, 360)), ("atrium", (320, 180)),
                                        ("gate", (1280, 720)), ("lobby", (96, 54))])
def test_only_the_changing_rows_are_redrawn_and_converted_correctly(scene, size):
    """Frame by frame, the cheap path (restore the moving rows, redraw, convert them) gives
    exactly the picture and the I420 of drawing everything afresh."""
    spec = demo.DemoSpec(scene, size[0], size[1], 2.0, seconds=30)  # 60 frames
    painter = demo.Painter(spec, "CAM-7", "Esplanade")
    fresh = demo.Painter(spec, "CAM-7", "Esplanade")
    for i, (bgr, i420) in enumerate(zip(painter.bgr_frames(), demo.Painter(
            spec, "CAM-7", "Esplanade").i420_frames())):
        full = fresh.background.copy()
        fresh.draw_moving(full, i)
        assert np.array_equal(bgr, full), f"frame {i}: something moved outside the bands"
        assert np.array_equal(i420, cv2.cvtColor(full, cv2.COLOR_BGR2YUV_I420)), f"frame {i}"


# -- start_frame ------------------------------------------------------------------------------
def test_start_frame_shows_the_real_second():
    spec = demo.DemoSpec.from_params("junction", {"size": "sub"})  # 12 fps, 60 s
    assert demo.frames_in_clip(spec) == 720
    assert demo.start_frame(spec, 0.0) == 0
    assert demo.start_frame(spec, 5.5) == 66
    assert demo.start_frame(spec, 60.0 * 1000 + 59.99) == 719
    assert demo.start_frame(spec, 60 * 28_333_333 + 17.25) == 17 * 12 + 3  # :17.25 s
    for wall in (0.0, 7.3, 59.9, 3600.5, 1_700_000_000.0):
        # The clip's clock at that frame shows the wall clock's second.
        assert int(demo.start_frame(spec, wall) / spec.fps) == int(wall % 60)
    short = demo.DemoSpec("junction", 96, 54, 6.0, seconds=4)
    assert demo.start_frame(short, 9.5) == int(1.5 * 6)
    assert all(0 <= demo.start_frame(short, t / 7) < 24 for t in range(500))


def test_seeking_to_start_frame_lands_on_that_picture(tmp_path):
    """What the decoder does with start_frame: seek to the keyframe before it, decode to it."""
    spec = demo.DemoSpec("station", 160, 90, 6.0, seconds=10)
    path = demo.ensure_clip(tmp_path, spec, "ST-1", "Sealdah")
    ref = drawn(spec, "ST-1", "Sealdah")
    for wall in (3.5, 7.0, 9.9):
        index = demo.start_frame(spec, wall)
        with av.open(str(path)) as c:
            stream = c.streams.video[0]
            target = int(index / spec.fps / stream.time_base)
            c.seek(target, stream=stream, backward=True)
            decoded = 0
            for f in c.decode(stream):
                decoded += 1
                if f.pts >= target:
                    img = f.to_ndarray(format="bgr24")
                    break
        assert decoded <= demo.keyframe_interval(spec)  # at most a GOP decoded to get there
        best = max(range(len(ref)), key=lambda i: psnr(img, ref[i]))
        assert best == index, f"wall {wall}: expected frame {index}, got {best}"


def test_spec_rejects_what_cannot_be_encoded():
    for bad in [dict(width=95), dict(height=8), dict(fps=0.5), dict(seconds=0)]:
        with pytest.raises(ValueError):
            demo.DemoSpec(**{"scene": "junction", "width": 96, "height": 54, "fps": 6.0, **bad})
    assert demo.DemoSpec.from_params("gate", {"size": "321x181"}).width == 320


# -- concurrency -----------------------------------------------------------------------------
@pytest.mark.parametrize("workers", ["0", "2"])
def test_concurrent_callers_for_one_clip_draw_it_once(tmp_path, monkeypatch, workers):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", workers)
    draws = count_draws(monkeypatch)
    n = 6
    barrier = threading.Barrier(n)
    results: list[Path] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(demo.ensure_clip(tmp_path, SMALL, "CAM-9", "Shared"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == n and len(set(results)) == 1
    assert draws == ["CAM-9"], draws
    assert len(decode_pyav(results[0])[0]) == 24


def test_different_clips_at_once_are_all_drawn_by_helper_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", "2")
    draws = count_draws(monkeypatch)
    written: list[str] = []
    monkeypatch.setattr(demo, "write_clip", lambda *a, **k: written.append("here"))
    paths: dict[str, Path] = {}

    def caller(i: int) -> None:
        paths[f"CAM-{i}"] = demo.ensure_clip(tmp_path, SMALL, f"CAM-{i}", f"Camera {i}")

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(draws) == [f"CAM-{i}" for i in range(4)]
    assert written == []  # none drawn in this process: the helpers did it
    assert len(paths) == 4 and len(set(paths.values())) == 4
    for path in paths.values():
        assert len(decode_pyav(path)[0]) == 24
    pool = demo._pools[2]
    assert 1 <= len(pool._idle) <= 2  # never more helpers than workers
    assert all(h.alive() and h.proc.pid != os.getpid() for h in pool._idle)


def test_without_helpers_available_the_clip_is_drawn_here(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", "2")
    monkeypatch.setattr(demo.sys, "executable", str(tmp_path / "no-such-python"))
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    assert len(decode_pyav(path)[0]) == 24


def test_a_helper_that_died_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", "1")
    demo.ensure_clip(tmp_path, SMALL, "CAM-1", "One")
    pool = demo._pools[1]
    (helper,) = pool._idle
    helper.proc.kill()
    helper.proc.wait(timeout=10)
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-2", "Two")
    assert len(decode_pyav(path)[0]) == 24
    (again,) = pool._idle
    assert again is not helper and again.alive()


def test_a_helper_leaves_when_its_pipe_closes(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_WORKERS", "1")
    demo.ensure_clip(tmp_path, SMALL, "CAM-1", "One")
    (helper,) = demo._pools[1]._idle
    assert helper.alive()
    helper.proc.stdin.close()  # what the kernel does when this process goes
    assert helper.proc.wait(timeout=10) == 0


# -- the cache cap ---------------------------------------------------------------------------
def fake_clip(directory: Path, name: str, size: int, age_s: float, now: float) -> Path:
    p = directory / name
    p.write_bytes(b"\0" * size)
    os.utime(p, (now - age_s, now - age_s))
    return p


def current(name: str) -> str:
    return f"{name}-junction-640x360-v{demo.GENERATOR_VERSION}-0123456789abcdef.mp4"


def test_cap_removes_least_recently_used_and_keeps_newest_and_in_use(tmp_path, caplog):
    now = time.time()
    mb = 1_000_000
    oldest = fake_clip(tmp_path, current("A"), mb, 5000, now)
    in_use = fake_clip(tmp_path, current("B"), mb, 4000, now)
    older = fake_clip(tmp_path, current("C"), mb, 3000, now)
    recent = fake_clip(tmp_path, current("D"), mb, 2000, now)
    just_used = fake_clip(tmp_path, current("E"), mb, 10, now)  # being opened right now
    newest = fake_clip(tmp_path, current("F"), mb, 5000, now)  # the clip just written
    with open(in_use, "rb"), caplog.at_level("INFO", logger="nazar.demo"):
        removed = demo.trim_cache(tmp_path, keep=newest, cap_bytes=3 * mb, now=now)
    assert removed == [oldest, older, recent]
    assert not oldest.exists() and not older.exists() and not recent.exists()
    assert in_use.exists() and just_used.exists() and newest.exists()
    assert "removed 3 file(s)" in caplog.text and oldest.name in caplog.text
    # Under the cap: nothing more to do.
    assert demo.trim_cache(tmp_path, keep=newest, cap_bytes=3 * mb, now=now) == []


def test_stale_partials_and_old_generator_clips_go_first(tmp_path):
    now = time.time()
    kb = 1000
    used_long_ago = fake_clip(tmp_path, current("A"), 100 * kb, 9000, now)
    old_gen = fake_clip(tmp_path, "A-junction-640x360-0123456789abcdef.avi", 100 * kb, 100, now)
    older_gen = fake_clip(tmp_path, "B-junction-640x360-v4-0123456789abcdef.mp4", 100 * kb,
                          200, now)
    stale = fake_clip(tmp_path, ".partial-abc.mp4", 100 * kb, demo.PARTIAL_KEEP_S + 60, now)
    writing = fake_clip(tmp_path, ".partial-def.mp4", 100 * kb, 30, now)  # another writer's
    other = fake_clip(tmp_path, "notes.txt", 100 * kb, 9000, now)  # not a clip: not ours
    removed = demo.trim_cache(tmp_path, cap_bytes=250 * kb, now=now)
    assert removed == [stale, older_gen, old_gen, used_long_ago]
    assert writing.exists() and other.exists()


def test_stale_partials_are_removed_even_under_the_cap(tmp_path):
    now = time.time()
    stale = fake_clip(tmp_path, ".partial-abc.mp4", 0, demo.PARTIAL_KEEP_S + 60, now)
    writing = fake_clip(tmp_path, ".partial-def.mp4", 0, 30, now)
    old_clip = fake_clip(tmp_path, current("A"), 1000, 9000, now)
    assert demo.trim_cache(tmp_path, cap_bytes=10_000_000, now=now) == [stale]
    assert writing.exists() and old_clip.exists()


def test_writing_a_clip_enforces_the_cap_from_the_environment(tmp_path, monkeypatch):
    now = time.time()
    olds = [fake_clip(tmp_path, current(f"OLD{i}"), 400_000, 1000 + i, now) for i in range(5)]
    monkeypatch.setenv("NAZAR_DEMO_CACHE_MB", "1")
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    assert path.exists()
    assert path.stat().st_size < 200_000  # so that two of the old ones fit beside it
    assert [p for p in olds if p.exists()] == olds[:2]  # the least recently used went
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 1_000_000


def test_the_clip_just_written_is_kept_even_over_the_cap(tmp_path, monkeypatch):
    monkeypatch.setenv("NAZAR_DEMO_CACHE_MB", "0")
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_cap_from_environment(monkeypatch):
    assert demo.cache_cap_bytes() == 300_000_000
    monkeypatch.setenv("NAZAR_DEMO_CACHE_MB", "1.5")
    assert demo.cache_cap_bytes() == 1_500_000
    monkeypatch.setenv("NAZAR_DEMO_CACHE_MB", "0")
    assert demo.cache_cap_bytes() == 0
    for bad in ("lots", "-5", "nan", "inf"):
        monkeypatch.setenv("NAZAR_DEMO_CACHE_MB", bad)
        assert demo.cache_cap_bytes() == 300_000_000, bad


def test_using_a_cached_clip_marks_it_used_without_redrawing(tmp_path, monkeypatch):
    path = demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street")
    long_ago = time.time() - 10_000
    os.utime(path, (long_ago, long_ago))
    draws = count_draws(monkeypatch)
    assert demo.ensure_clip(tmp_path, SMALL, "CAM-1", "Park Street") == path
    assert draws == []
    assert path.stat().st_mtime > long_ago + 9_000


def test_drawing_stops_when_the_asker_is_gone(tmp_path):
    """A helper checks at every keyframe that the process that asked is still there."""
    asked: list[int] = []

    def gone() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(demo._Abandoned):
        demo.write_clip(tmp_path / "x.mp4", SMALL, "CAM-1", "One", stop=gone)
    assert len(asked) == 3  # frames 0, 6 and 12: once per keyframe interval
