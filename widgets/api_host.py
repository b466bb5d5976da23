"""The Qt side of the dispatch API: the GUI-thread gateway, the event-loop lag probe, and
starting / stopping the API server and the CAP drop folder with the main window.

Requests arrive on uvicorn's thread; `GuiGateway.submit(fn)` posts fn to the GUI thread
through a queued signal and returns a Future at once, so neither thread ever blocks the
other: the GUI thread runs fn between two paints, and the API thread awaits the Future.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.api import (ADDRESS_FILE, ApiLimits, ApiServer, ApiStartError, TokenFileError,
                     load_token, make_app)
from app.capdrop import CapDropFolder
from app.dispatch import Dispatcher
from app.metrics import WallMetrics

log = logging.getLogger("nazar.api")

LAG_PROBE_MS = 100


class GuiGateway(QObject):
    """Runs functions on the thread this object lives in (the GUI thread)."""

    _call = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._call.connect(self._run, Qt.ConnectionType.QueuedConnection)
        self.closed = False

    def submit(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        if self.closed:
            future.set_exception(RuntimeError("the wall is closing"))
            return future
        try:
            self._call.emit((fn, future))
        except RuntimeError as exc:  # the QObject is gone (the window closed)
            future.set_exception(exc)
        return future

    def _run(self, item: tuple[Callable[[], Any], Future]) -> None:
        fn, future = item
        if not future.set_running_or_notify_cancel():
            return  # the caller gave up waiting
        try:
            future.set_result(fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the API thread
            future.set_exception(exc)


class LagProbe(QObject):
    """A 100 ms timer on the GUI thread: how late it fires is the event loop's lag."""

    def __init__(self, observe: Callable[[float], None], parent: QObject | None = None):
        super().__init__(parent)
        self.observe = observe
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(LAG_PROBE_MS)
        self.timer.timeout.connect(self._tick)
        self._last = time.monotonic()
        self.ticks = 0
        self.timer.start()

    def _tick(self) -> None:
        now = time.monotonic()
        self.observe(max(0.0, now - self._last - LAG_PROBE_MS / 1000.0))
        self._last = now
        self.ticks += 1


@dataclass
class ApiHandle:
    dispatcher: Dispatcher
    metrics: WallMetrics
    gateway: GuiGateway
    server: ApiServer | None = None
    drop: CapDropFolder | None = None
    address_file: Path | None = None
    lag_probe: LagProbe | None = None

    @property
    def url(self) -> str | None:
        return self.server.url if self.server else None

    def stop(self) -> None:
        self.gateway.closed = True
        if self.lag_probe is not None:
            self.lag_probe.timer.stop()
        if self.drop is not None:
            self.drop.stop()
        if self.server is not None:
            self.server.stop()
        if self.address_file is not None:
            self.address_file.unlink(missing_ok=True)


def start_api(window: Any, *, bind: tuple[str, int] | None, token_file: Path | None,
              drop_dir: Path | None, settings_dir: Path,
              limits: ApiLimits | None = None) -> ApiHandle:
    """The dispatch API (`bind`) and/or the CAP drop folder (`drop_dir`) of a MainWindow.
    Raises TokenFileError or ApiStartError (nothing is left running then)."""
    dispatcher = Dispatcher(window.commands, window.alarm, window.registry, window.poller,
                            window.tile_readings, window.wall.store)
    metrics = WallMetrics()
    dispatcher.on_eyes_on.append(lambda _id, s: metrics.eyes_on.observe(s))
    gateway = GuiGateway(window)
    handle = ApiHandle(dispatcher, metrics, gateway,
                       lag_probe=LagProbe(metrics.loop_lag.observe, window))
    if bind is not None:
        token = load_token(token_file or settings_dir / "api-token")
        app = make_app(dispatcher, gateway, token, limits, metrics)
        server = ApiServer(app, *bind)
        server.start()
        handle.server = server
        handle.address_file = settings_dir / ADDRESS_FILE
        handle.address_file.parent.mkdir(parents=True, exist_ok=True)
        handle.address_file.write_text(server.url + "\n", encoding="utf-8")
        log.info("dispatch API on %s (token: %s)", server.url,
                 token_file or settings_dir / "api-token")
    if drop_dir is not None:
        handle.drop = CapDropFolder(drop_dir, gateway.submit, dispatcher.ingest_cap)
        handle.drop.start()
        log.info("CAP drop folder: %s", drop_dir)
    window.on_close.append(handle.stop)
    return handle


__all__ = ["ApiHandle", "GuiGateway", "LagProbe", "start_api", "ApiStartError",
           "TokenFileError"]
