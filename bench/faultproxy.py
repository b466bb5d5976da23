"""Loopback fault makers for the soak benchmark (bench/soak_faults.py), asyncio in a thread.

- `LinkProxy`: a TCP proxy on 127.0.0.1 that forwards to a real server (the RTSP test
  server) and can add delay and throttle the link, both directions, while it runs. Each
  direction reads into a small bounded queue, so a throttled link pushes back on the sender
  as a slow network does (TCP flow control) instead of buffering without end.
- `GarbageServer`: a port that answers every connection with random bytes, then closes.

Both listen on 127.0.0.1 only; `close()` stops them and every connection they hold.
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Future

CHUNK = 16384
QUEUE_CHUNKS = 16  # per direction: at most this many chunks in flight inside the proxy
TICK_S = 0.05  # a throttled link sends rate * TICK_S bytes per tick


class _Loop:
    """An asyncio loop in a daemon thread."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def call(self, coro, timeout: float = 10.0):
        fut: Future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return fut.result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)


class LinkProxy:
    """127.0.0.1:`port` -> `upstream` (host, port), with `delay_s` and `rate_bps` settable
    at any time (0: none)."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.delay_s = 0.0
        self.rate_bps = 0.0  # bytes per second; 0: not throttled
        self.connections = 0  # open now
        self.accepted = 0  # ever
        self._loop = _Loop("link-proxy")
        self._tasks: set[asyncio.Task] = set()
        self._server = self._loop.call(self._start())
        self.port = self._server.sockets[0].getsockname()[1]

    async def _start(self):
        return await asyncio.start_server(self._client, "127.0.0.1", 0)

    def shape(self, delay_s: float = 0.0, rate_bps: float = 0.0) -> None:
        self.delay_s, self.rate_bps = delay_s, rate_bps

    async def _client(self, reader, writer) -> None:
        self.accepted += 1
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            try:
                up_r, up_w = await asyncio.wait_for(
                    asyncio.open_connection(*self.upstream), 10.0)
            except (OSError, asyncio.TimeoutError):
                return
            try:
                await asyncio.gather(self._pump(reader, up_w), self._pump(up_r, writer))
            finally:
                up_w.close()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.connections -= 1
            if task is not None:
                self._tasks.discard(task)

    async def _pump(self, reader, writer) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(QUEUE_CHUNKS)

        async def receive() -> None:
            try:
                while True:
                    data = await reader.read(CHUNK)
                    await queue.put((loop.time(), data))
                    if not data:
                        return
            except OSError:
                await queue.put((loop.time(), b""))

        rx = asyncio.ensure_future(receive())
        try:
            while True:
                at, data = await queue.get()
                if not data:
                    break
                wait = at + self.delay_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                while data:
                    rate = self.rate_bps
                    piece = data if rate <= 0 else data[:max(1, int(rate * TICK_S))]
                    data = data[len(piece):]
                    writer.write(piece)
                    await writer.drain()
                    if rate > 0:
                        await asyncio.sleep(TICK_S)
        except (OSError, ConnectionError):
            pass
        finally:
            rx.cancel()
            writer.close()  # one side ended: end the other (the whole connection goes)

    def close(self) -> None:
        async def shut() -> None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.sleep(0)

        try:
            self._loop.call(shut())
        finally:
            self._loop.stop()


class GarbageServer:
    """Answers each connection with `size` random bytes (after the client's first bytes,
    or at once if it sends none within 1 s), then closes it."""

    def __init__(self, size: int = 4096):
        self.size = size
        self.accepted = 0
        self._loop = _Loop("garbage-server")
        self._server = self._loop.call(self._start())
        self.port = self._server.sockets[0].getsockname()[1]

    async def _start(self):
        return await asyncio.start_server(self._client, "127.0.0.1", 0)

    async def _client(self, reader, writer) -> None:
        self.accepted += 1
        try:
            try:
                await asyncio.wait_for(reader.read(4096), 1.0)
            except asyncio.TimeoutError:
                pass
            writer.write(os.urandom(self.size))
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def close(self) -> None:
        async def shut() -> None:
            self._server.close()

        try:
            self._loop.call(shut())
        finally:
            self._loop.stop()
