"""A process that records one RTSP stream in short segments until it is killed (kill -9
tests): `python -m tests.support.record_child URL ROOT SEGMENT_S`. Prints "closed N" each
time a segment has been closed and listed."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from app.feeds import FeedManager
from app.recording import RecordingStore
from app.urls import parse_source


def main() -> None:
    url, root, segment_s = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    recorder = RecordingStore(root, min_free_bytes=0, segment_s=segment_s)
    recorder.start()
    feeds = FeedManager()
    feed = feeds.acquire("CAM-K", parse_source(url), standby=True)
    rec = recorder.recording("INC-KILL", "CAM-K")
    feed.add_recording(rec)
    said = 0
    while True:  # until killed
        if rec.segments > said and recorder.flush(5.0):
            said = rec.segments
            print(f"closed {said}", flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
