"""The PyAV decode path (app/decoders.py): pictures right, scaled before converted, decoder
facts (keyframes, standby, hardware fall-back), against real clips decoded by FFmpeg."""
from __future__ import annotations

import logging
import time

import av
import cv2
import numpy as np
import pytest

from app import decoders
from app.decoders import (BufferPool, OpenFailed, PyAVCapture, decoder_name, detect_hwaccel,
                          yuv_to_bgra)
from tests.support.clips import make_clip


def first_frame(path) -> av.VideoFrame:
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            return frame
    raise AssertionError("no frame")


def reference(frame: av.VideoFrame, size: tuple[int, int] | None = None) -> np.ndarray:
    """FFmpeg's own conversion of the whole frame, then OpenCV's resize: the slow, sure way."""
    bgr = frame.to_ndarray(format="bgr24")
    if size:
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return bgr


def close_to(bgra: np.ndarray, bgr: np.ndarray, limit: float) -> float:
    assert bgra.shape[:2] == bgr.shape[:2] and bgra.shape[2] == 4
    diff = np.abs(bgra[:, :, :3].astype(int) - bgr.astype(int)).mean()
    assert diff < limit, f"mean difference {diff:.1f} per channel (limit {limit})"
    return diff


@pytest.fixture(scope="module")
def clip720(clip_dir):
    return make_clip(clip_dir, 1280, 720, fps=25, seconds=1, gop=25)


@pytest.mark.parametrize("size", [None, (640, 360), (960, 540), (330, 186)])
def test_scaled_planes_give_the_same_picture_as_converting_first(clip720, size):
    frame = first_frame(clip720)
    assert frame.format.name == "yuv420p"
    out = yuv_to_bgra(frame, size, BufferPool())
    assert out.shape == ((size or (1280, 720))[1], (size or (1280, 720))[0], 4)
    close_to(out, reference(frame, size), 6.0)


def test_odd_sizes_are_made_even(clip720):
    out = yuv_to_bgra(first_frame(clip720), (331, 187), BufferPool())
    assert out.shape == (186, 330, 4)


@pytest.mark.parametrize("fmt", ["yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "nv12",
                                 "rgb24", "gray"])
def test_other_pixel_formats_give_the_right_colours(clip720, fmt):
    """Full range (MJPEG, some cameras), 4:2:2, 4:4:4, NV12 (hardware decoders) and formats
    without a fast path (converted by FFmpeg first) all look like FFmpeg's own conversion."""
    src = first_frame(clip720)
    frame = src.reformat(format=fmt)
    if fmt.startswith("yuvj"):  # same picture, full-range samples
        frame = src.reformat(format=fmt, src_color_range="MPEG", dst_color_range="JPEG")
    out = yuv_to_bgra(frame, (640, 360), BufferPool())
    expected = reference(src, (640, 360))
    if fmt == "gray":
        expected = cv2.cvtColor(cv2.cvtColor(expected, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    close_to(out, expected, 7.0)


def test_a_wrong_range_would_be_caught(monkeypatch):
    """The colour check can fail: full-range samples read as TV range are visibly off (a
    grey ramp, where the range shows most)."""
    ramp = np.repeat(np.repeat(np.linspace(20, 235, 640, dtype=np.uint8)[None, :], 360, 0)
                     [:, :, None], 3, 2)
    src = av.VideoFrame.from_ndarray(np.ascontiguousarray(ramp), format="bgr24")
    full = src.reformat(format="yuvj420p", dst_color_range="JPEG")
    right = close_to(yuv_to_bgra(full, None, BufferPool()), ramp, 3.0)
    monkeypatch.setattr(decoders, "_Y_FULL_TO_TV", (1.0, 0.0))  # no range mapping
    monkeypatch.setattr(decoders, "_C_FULL_TO_TV", (1.0, 0.0))
    wrong = close_to(yuv_to_bgra(full, None, BufferPool()), ramp, 255.0)
    assert wrong > right + 3.0, (right, wrong)


def test_buffers_are_reused_once_released(clip720):
    pool = BufferPool()
    frame = first_frame(clip720)
    for _ in range(50):
        yuv_to_bgra(frame, (640, 360), pool)
    assert pool.allocated == 2  # one I420 and one BGRA buffer, reused 50 times
    held = [yuv_to_bgra(frame, (640, 360), pool) for _ in range(3)]
    assert len({id(h) for h in held}) == 3  # a held picture is never written again


def test_keyframe_interval_is_measured_and_standby_decodes_keyframes_only(clip_dir):
    clip = make_clip(clip_dir, 320, 240, fps=12, seconds=10, gop=12)
    cap = PyAVCapture(str(clip), 5.0, 5.0)
    try:
        pictures = [cap.read() for _ in range(30)]
        assert all(p is not None for p in pictures)
        assert cap.keyframe_interval_s() == pytest.approx(1.0, abs=0.01)
        assert sum(p.keyframe for p in pictures) in (2, 3)
        cap.set_keyframes_only(True)
        for _ in range(4):  # frames the decoder held back (B-frame reordering) still come
            p = cap.read()
            if p is not None and p.keyframe:
                break
        standby = [cap.read() for _ in range(2)]
        assert all(p is not None and p.keyframe for p in standby)
        key = standby[-1].frame.pts
        step = pictures[1].frame.pts - pictures[0].frame.pts  # one frame, in pts units
        passed: list[int] = []

        def tile_shows_it(packet):  # five packets after the key, still on standby ...
            passed.append(packet.pts)
            if len(passed) == 5:
                cap.keyframes_only_wanted = False  # ... a tile shows it (the GUI thread)

        cap.on_packet = tile_shows_it
        back = cap.read()
        nxt = cap.read()
        assert back is not None and nxt is not None
        # Not a wait for the next keyframe: the frames skipped since the last one were
        # decoded again at once, and the newest of them comes first, whole.
        assert key < back.frame.pts < key + 12 * step and not back.keyframe
        assert nxt.frame.pts - back.frame.pts == step and not nxt.keyframe  # every frame again
        with av.open(str(clip)) as ref:
            want = {f.pts: f.to_ndarray(format="bgr24") for f in ref.decode(video=0)
                    if f.pts in (back.frame.pts, nxt.frame.pts)}
        for pic in (back, nxt):  # no smear: exactly what a decoder from the start gives
            assert np.array_equal(want[pic.frame.pts], pic.frame.to_ndarray(format="bgr24"))
    finally:
        cap.release()


def test_a_file_seeks_to_its_start_frame_and_rewinds(clip_dir):
    clip = make_clip(clip_dir, 320, 240, fps=10, seconds=3, gop=10)
    cap = PyAVCapture(str(clip), 5.0, 5.0)
    try:
        cap.seek_frame(15)
        pic = cap.read()
        assert pic is not None
        tb = float(pic.frame.time_base)
        first = float(first_frame(clip).pts) * tb
        assert pic.frame.pts * tb - first == pytest.approx(1.5, abs=0.11)
        while cap.read() is not None:
            pass
        assert cap.error == "stream ended"
        assert cap.rewind()
        again = cap.read()
        assert again is not None and float(again.frame.pts) * tb == pytest.approx(first)
    finally:
        cap.release()


def test_open_failures_say_why_without_the_password():
    with pytest.raises(OpenFailed) as err:
        PyAVCapture("rtsp://officer:s3cret-pw@127.0.0.1:1/stream", 2.0, 2.0)
    assert "s3cret" not in str(err.value) and str(err.value)


def test_hardware_decoding_falls_back_to_software_and_says_why():
    off = detect_hwaccel("off")
    assert off.kind is None and "turned off" in off.line
    none_built = detect_hwaccel("auto", available=lambda: [])
    assert none_built.kind is None
    assert "vaapi: not in this FFmpeg build" in none_built.line
    no_node = detect_hwaccel("vaapi", available=lambda: ["vaapi"], exists=lambda p: False)
    assert no_node.kind is None and "no /dev/dri/renderD128" in no_node.line
    broken = detect_hwaccel("auto", available=lambda: ["vaapi", "cuda"],
                            exists=lambda p: True, probe=lambda kind: f"{kind} init failed")
    assert broken.kind is None and "vaapi init failed" in broken.line \
        and "cuda init failed" in broken.line
    works = detect_hwaccel("auto", available=lambda: ["cuda"], exists=lambda p: True,
                           probe=lambda kind: None)
    assert works.kind == "cuda" and "hardware (cuda)" in works.line


def test_this_machine_without_a_gpu_decodes_in_software():
    """The real detection, with the real probe: no GPU here, so software, and why."""
    choice = detect_hwaccel("auto")
    assert choice.kind is None and choice.line.startswith("decoding: software")
    forced = detect_hwaccel("cuda")
    assert forced.kind is None and "cuda:" in forced.line


def test_the_real_probe_refuses_a_device_that_is_not_there():
    assert decoders._probe_hw("vulkan") is not None  # no such device here: a reason, no crash


def test_decoder_choice(monkeypatch, caplog):
    monkeypatch.setenv("NAZAR_DECODER", "opencv")
    assert decoder_name() == "opencv"
    monkeypatch.setenv("NAZAR_DECODER", "gstreamer")
    with caplog.at_level(logging.WARNING):
        assert decoder_name() == "pyav"
    assert "NAZAR_DECODER=gstreamer" in caplog.text
    monkeypatch.delenv("NAZAR_DECODER")
    assert decoder_name() == "pyav"


@pytest.fixture
def one_lane(monkeypatch):
    """Every stream opened from here on shares one decode lane."""
    lanes = decoders.DecodeLanes(1)
    monkeypatch.setattr(decoders, "_lanes", lanes)
    return lanes


def test_a_stream_decodes_only_in_a_free_lane_and_leaves_it_when_told(clip_dir, one_lane,
                                                                        monkeypatch):
    """Lanes bound how many streams run Python at once (the GIL and 64 cameras): with one
    lane, a second stream that has its packet waits until the first has handed its picture
    over, and says how long it waited (not the camera's time: see the read timeout);
    closing a stream frees its lane."""
    import threading
    a = PyAVCapture(str(make_clip(clip_dir, 320, 240, fps=10, seconds=2)), 5.0, 5.0)
    b = PyAVCapture(str(make_clip(clip_dir, 352, 288, fps=10, seconds=2)), 5.0, 5.0)
    try:
        assert a.read() is not None and one_lane.busy() == 1  # a holds the lane
        has_packet, entering, done = threading.Event(), threading.Event(), threading.Event()
        b.on_packet = lambda packet: has_packet.set()
        enter, asked = one_lane.enter, []

        def asking(home: int):
            asked.append(time.monotonic())
            entering.set()
            return enter(home)

        monkeypatch.setattr(one_lane, "enter", asking)
        got: list = []
        reader = threading.Thread(target=lambda: (got.append(b.read()), done.set()))
        reader.start()
        assert has_packet.wait(10), "b's first packet"
        assert entering.wait(10), "b asks for the lane"
        assert not done.is_set() and got == []  # it cannot decode without the lane
        left = time.monotonic()
        a.leave()
        assert done.wait(10), "b decodes once a has left the lane"
        assert got[0] is not None and got[0].size == (352, 288)
        assert b.lane_wait_s >= left - asked[0] > 0  # it waited at least until a left
        a.leave()  # twice: harmless
        assert one_lane.busy() == 1  # b holds it now
    finally:
        a.release()
        b.release()
    assert one_lane.busy() == 0


def test_lane_count_follows_the_cores_or_the_setting(monkeypatch, caplog):
    import os
    monkeypatch.delenv("NAZAR_DECODE_LANES", raising=False)
    assert decoders.lane_count() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("NAZAR_DECODE_LANES", "3")
    assert decoders.lane_count() == 3
    monkeypatch.setenv("NAZAR_DECODE_LANES", "0")
    assert decoders.lane_count() == 1
    monkeypatch.setenv("NAZAR_DECODE_LANES", "many")
    with caplog.at_level(logging.WARNING, logger="app.decoders"):
        assert decoders.lane_count() == len(os.sched_getaffinity(0))
    assert "NAZAR_DECODE_LANES=many" in caplog.text


def run_camera(pace, seconds: float, fps: float, read_every: float, gop: int = 30,
               start: tuple[float, float] = (0.0, 0.0)):
    """A camera's packets (stream time t, every 1/fps) read every `read_every` s by the
    console: (skipped, resumed) per packet; the last (arrival, t)."""
    arrived, t = start
    out = []
    for i in range(int(seconds * fps)):
        arrived += read_every
        t += 1.0 / fps
        out.append(pace.packet(t, arrived, keyframe=i % gop == 0))
    return out, (arrived, t)


def test_a_camera_read_on_time_is_never_late_even_over_a_day_of_clock_drift():
    pace = decoders.Pace()
    out, _ = run_camera(pace, 30, 15, 1 / 15)
    assert not any(skip for skip, _ in out) and pace.behind_s < 0.01
    # The camera's clock runs 0.1 % slow against the console's: 86 s over 24 hours.
    pace = decoders.Pace()
    out, _ = run_camera(pace, 24 * 3600, 15, 1.001 / 15)
    assert not any(skip for skip, _ in out) and not pace.catching_up


def test_a_late_camera_skips_to_catch_up_then_decodes_every_frame_from_a_keyframe():
    """The console reads a 15 fps camera at only 12 packets a second: its packets queue up.
    Past LATE_S it skips all but keyframes; reading the queue without decoding drains it,
    and once within CAUGHT_UP_S it says so (the capture then resumes at a keyframe)."""
    pace = decoders.Pace()
    out, (arrived, t) = run_camera(pace, 8, 15, 1 / 12)
    first_skip = next(i for i, (skip, _) in enumerate(out) if skip)
    # Late by LATE_S after 1.0 / (1/12 - 1/15) = 60 packets' worth of falling behind.
    assert 55 <= first_skip <= 65 and pace.catching_up
    keys = [i for i in range(first_skip, len(out)) if i % 30 == 0]
    assert keys and all(not out[i][0] for i in keys)  # keyframes are still decoded
    # Skipping is fast: the queued packets now come in quick succession.
    drained, _ = run_camera(pace, 2, 15, 0.001, start=(arrived, t))
    resumed = [i for i, (_, back) in enumerate(drained) if back]
    assert len(resumed) == 1 and not pace.catching_up and pace.behind_s < decoders.CAUGHT_UP_S
    before, after = drained[:resumed[0]], drained[resumed[0] + 1:]
    assert before and all(skip or i % 30 == 0 for i, (skip, _) in enumerate(before))
    assert after and not any(skip for skip, _ in after)  # read on time again: every frame


def test_timestamps_that_start_again_are_not_lateness():
    pace = decoders.Pace()
    _, (arrived, t) = run_camera(pace, 5, 15, 1 / 15, start=(0.0, 5000.0))
    out, _ = run_camera(pace, 5, 15, 1 / 15, start=(arrived, 0.0))  # the camera restarted
    assert not any(skip for skip, _ in out) and pace.behind_s < 0.01
