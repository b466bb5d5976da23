"""Real HTTP to a wall running in the test's own process.

The wall's API hands every request to the GUI thread, which is the test's thread: a request
made from the test thread would wait for itself. So each request runs on a worker thread
while the test thread keeps Qt's event loop turning (qtbot.waitUntil).
"""
from __future__ import annotations

import json
import os
import stat
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.api import ApiLimits
from app.audit import AuditLog
from app.feeds import FeedManager
from app.layouts import LAYOUTS, WallModel
from app.registry import load_registry
from app.settings import SettingsStore
from app.snapshots import SnapshotWriter
from tests.conftest import DEMO_REGISTRY
from widgets.api_host import ApiHandle, start_api
from widgets.main_window import MainWindow

_DEFAULT = object()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http(url: str, method: str = "GET", body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 20.0) -> Reply:
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        if isinstance(body, str):  # text: sent as JSON (maybe broken JSON)
            data = body.encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, bytes):  # bytes: sent as XML (CAP)
            data = body
            hdrs.setdefault("Content-Type", "application/xml")
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()},
                         resp.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


class Client:
    def __init__(self, qtbot, url: str, token: str):
        self.qtbot = qtbot
        self.url = url
        self.token = token
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="test-http")

    def __call__(self, method: str, path: str, body: Any = None, token: Any = _DEFAULT,
                 headers: dict[str, str] | None = None) -> Reply:
        tok = self.token if token is _DEFAULT else token
        hdrs = {"X-Operator": "test", **(headers or {})}
        fut = self.pool.submit(http, self.url + path, method, body, tok, hdrs)
        self.qtbot.waitUntil(fut.done, timeout=30000)
        return fut.result()

    def get(self, path: str, **kw: Any) -> Reply:
        return self("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self("POST", path, body, **kw)


@dataclass
class Wall:
    win: MainWindow
    api: ApiHandle
    client: Client
    audit: AuditLog
    settings: Path
    drop: Path


def never_opens(*_args: Any) -> None:
    return None


@pytest.fixture
def api_wall(qtbot, tmp_path):
    """factory(limits=None, opener=never_opens, drop=True) -> Wall: the real main window on
    the demo registry, its API on a free port of 127.0.0.1, a CAP drop folder."""
    made: list[MainWindow] = []

    def make(limits: ApiLimits | None = None, opener: Any = never_opens,
             view: list[str | None] | None = None, layout: str = "3x3") -> Wall:
        reg = load_registry(DEMO_REGISTRY)
        settings = tmp_path / f"settings-{len(made)}"
        store = SettingsStore(settings)
        audit = AuditLog(settings / "audit.sqlite3")
        model = WallModel(layout=LAYOUTS[layout],
                          view=view if view is not None else reg.default_view(9))
        win = MainWindow(reg, model, FeedManager(opener=opener), store=store,
                         snapshots=SnapshotWriter(tmp_path / "pictures"), audit=audit)
        qtbot.addWidget(win)
        win.resize(1500, 900)
        win.show()
        qtbot.waitExposed(win)
        qtbot.waitUntil(lambda: win.poller.polls > 0)  # stream states known
        drop = tmp_path / f"drop-{len(made)}"
        handle = start_api(win, bind=("127.0.0.1", 0), token_file=None, drop_dir=drop,
                           settings_dir=settings, limits=limits)
        token_file = settings / "api-token"
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        made.append(win)
        assert handle.url is not None
        return Wall(win, handle, Client(qtbot, handle.url, token_file.read_text().strip()),
                    audit, settings, drop)

    yield make
    for win in made:
        win.close()
        win.feeds.stop_all(timeout=5.0)
    QApplication.processEvents()
