"""What /metrics says, in the Prometheus text format (prometheus_client; no Qt).

Names (all prefixed `nazar_`):

    feeds{state}                      gauge    open feeds (camera streams) by state
    wall_tiles{state}                 gauge    tiles of the wall's page by what they show
    feed_fps{camera}                  gauge    frames a second, cameras on the wall
    feed_reconnects_total{camera}     counter  attempts to open a stream again
    feed_state_changes_total{camera,state}  counter  times a camera's stream entered a state
    feed_decode_errors_total{camera}  counter  an open stream stopped giving frames (OpenCV
                                               reports a failed decode and a lost connection
                                               alike); both restart at 0 when a camera's feed
                                               is closed and opened again (a counter reset)
    incidents_open                    gauge    open incidents
    time_to_eyes_on_seconds           histogram  alarm wall shown -> every tile live
    eyes_on_timeouts_total            counter  alarm walls not all live within 60 s
    event_loop_lag_seconds            histogram  how late the GUI thread's 100 ms probe fired
    api_requests_total{code}          counter  API answers by HTTP status
    cap_messages_total{result}        counter  CAP messages: raised, updated, cleared,
                                               duplicate, refused
"""
from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from app.streams import State

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
EYES_ON_BUCKETS = (0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


class WallMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.loop_lag = Histogram("nazar_event_loop_lag_seconds",
                                  "How late the GUI thread's 100 ms probe timer fired",
                                  buckets=LAG_BUCKETS, registry=self.registry)
        self.eyes_on = Histogram("nazar_time_to_eyes_on_seconds",
                                 "From an alarm wall shown to every tile on it live "
                                 "(offline cameras not waited for)",
                                 buckets=EYES_ON_BUCKETS, registry=self.registry)
        self.api_requests = Counter("nazar_api_requests", "API answers by HTTP status",
                                    ["code"], registry=self.registry)
        self.cap_messages = Counter("nazar_cap_messages", "CAP messages by result",
                                    ["result"], registry=self.registry)
        self._lock = threading.Lock()
        self._snapshot: dict = {}
        self.registry.register(_Snapshot(self))

    def render(self, snapshot: dict) -> bytes:
        """The text format, with the wall's state as in `snapshot`
        (`app.dispatch.Dispatcher.feed_snapshot`, taken on the GUI thread)."""
        with self._lock:
            self._snapshot = snapshot
            return generate_latest(self.registry)


class _Snapshot:
    def __init__(self, owner: WallMetrics):
        self.owner = owner

    def describe(self) -> list[Metric]:
        return []  # collected per scrape from the snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.owner._snapshot
        feeds = snap.get("feeds", [])
        on_wall = set(snap.get("on_wall", []))
        by_state = GaugeMetricFamily("nazar_feeds", "Open feeds (camera streams) by state",
                                     labels=["state"])
        tally = Tally(f["state"] for f in feeds)
        for state in State:
            by_state.add_metric([state.value], tally.get(state.value, 0))
        yield by_state
        tiles = GaugeMetricFamily("nazar_wall_tiles", "Tiles of the wall's page by state",
                                  labels=["state"])
        for state, n in sorted(Tally(snap.get("tile_states", [])).items()):
            tiles.add_metric([state], n)
        yield tiles
        fps = GaugeMetricFamily("nazar_feed_fps", "Frames a second of cameras on the wall",
                                labels=["camera"])
        reconnects = CounterMetricFamily("nazar_feed_reconnects",
                                         "Attempts to open a camera's stream again",
                                         labels=["camera"])
        errors = CounterMetricFamily("nazar_feed_decode_errors",
                                     "Open streams that stopped giving frames",
                                     labels=["camera"])
        changes = CounterMetricFamily("nazar_feed_state_changes",
                                      "Times a camera's stream entered each state",
                                      labels=["camera", "state"])
        tally_changes: Tally[tuple[str, str]] = Tally()
        for f in feeds:
            for entered, n in f.get("changes", {}).items():
                tally_changes[(f["camera"], entered)] += n
        for (cam, entered), n in sorted(tally_changes.items()):
            changes.add_metric([cam, entered], n)
        yield changes
        per_cam: dict[str, list[float]] = {}
        for f in feeds:
            agg = per_cam.setdefault(f["camera"], [0.0, 0, 0])
            agg[0] = max(agg[0], f["fps"])
            agg[1] += f["reconnects"]
            agg[2] += f["decode_errors"]
        for cam in sorted(per_cam):
            f_fps, n_re, n_err = per_cam[cam]
            if cam in on_wall:
                fps.add_metric([cam], f_fps)
            reconnects.add_metric([cam], n_re)
            errors.add_metric([cam], n_err)
        yield fps
        yield reconnects
        yield errors
        yield GaugeMetricFamily("nazar_incidents_open", "Open incidents",
                                value=snap.get("incidents_open", 0))
        yield CounterMetricFamily("nazar_eyes_on_timeouts",
                                  "Alarm walls not all live within 60 s",
                                  value=snap.get("eyes_on_timeouts", 0))


__all__ = ["WallMetrics"]
