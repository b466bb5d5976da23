"""pytest fixtures for tests against a real RTSP server; load with
``pytest_plugins = ["tests.support.fixtures"]``.

``clip_dir`` (session): a directory for ``make_clip`` clips, shared by the whole run::

    clip = make_clip(clip_dir, 640, 360, fps=15, seconds=4)

``rtsp_server_factory`` (function): ``factory(mounts, port=None) -> RtspServer``, started
and ready; every server it made is stopped at teardown::

    server = rtsp_server_factory({"/cam1": clip, "/cam2": other_clip})
    url = server.url("/cam1")

When this machine cannot run the server (no ffmpeg, no GStreamer RTSP server for
``/usr/bin/python3``) the fixture fails, naming what is missing: the project's setup
installs those packages, so their absence is a broken environment, not a reason to skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.support.rtsp import RtspServer, rtsp_server_available

RtspServerFactory = Callable[..., RtspServer]


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide directory for test clips (``make_clip`` reuses clips made in it)."""
    return tmp_path_factory.mktemp("clips")


@pytest.fixture
def rtsp_server_factory() -> Iterator[RtspServerFactory]:
    """Start RTSP test servers: ``factory({"/mount": clip, ...}, port=None) -> RtspServer``."""
    available, reason = rtsp_server_available()
    if not available:
        pytest.fail(f"the RTSP test server cannot run on this machine: {reason}", pytrace=False)
    servers: list[RtspServer] = []

    def factory(
        mounts: Mapping[str, str | os.PathLike[str]], port: int | None = None
    ) -> RtspServer:
        server = RtspServer(mounts, port=port)
        servers.append(server)
        return server.start()

    yield factory
    for server in servers:
        server.stop()
