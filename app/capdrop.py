"""The CAP drop folder: for dispatch systems that can only write files (no Qt).

`--cap-drop DIR` starts a thread that looks into DIR five times a second. A file is taken
when its size and time have not changed since the previous look, or when it was last written
more than a second ago (so a file still being written waits), and when its name does not
start with "." and does not end in ".tmp" or ".part"
(write under such a name, then rename: the usual way). Each file goes through the same
`Dispatcher.ingest_cap` as `POST /api/cap`, on the GUI thread, with the operator
"cap-drop:<file name>". Then it is moved, never deleted:

    DIR/done/<name>                      acted on, or a duplicate
    DIR/refused/<name>                   malformed, or not for the wall
    DIR/refused/<name>.reason.txt        why, in one line
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from app.cap import MAX_BYTES, CapError
from app.commands import CommandError

log = logging.getLogger("nazar.capdrop")

POLL_S = 0.2
SETTLED_S = 1.0  # a file not written for this long is complete
SKIP_SUFFIXES = (".tmp", ".part", ".reason.txt")


class CapDropFolder:
    def __init__(self, directory: Path, submit: Callable[[Callable[[], Any]], Any],
                 ingest: Callable[[str, bytes], Any], poll_s: float = POLL_S,
                 call_timeout_s: float = 10.0):
        """`submit(fn)` runs fn on the GUI thread and returns a concurrent Future;
        `ingest(operator, data)` is `Dispatcher.ingest_cap`."""
        self.directory = Path(directory)
        self.submit = submit
        self.ingest = ingest
        self.poll_s = poll_s
        self.call_timeout_s = call_timeout_s
        self.done = self.directory / "done"
        self.refused = self.directory / "refused"
        for d in (self.directory, self.done, self.refused):
            d.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        self._seen: dict[str, tuple[int, int]] = {}
        self.handled = 0
        self.thread = threading.Thread(target=self._run, name="nazar-cap-drop", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.scan()
            except Exception:  # noqa: BLE001 - the folder thread must keep going
                log.exception("CAP drop folder %s", self.directory)

    def _candidates(self) -> list[os.DirEntry]:
        with os.scandir(self.directory) as it:
            return sorted((e for e in it if e.is_file(follow_symlinks=False)
                           and not e.name.startswith(".")
                           and not e.name.endswith(SKIP_SUFFIXES)), key=lambda e: e.name)

    def scan(self) -> int:
        """Take every file that is ready; returns how many were handled."""
        handled = 0
        current: dict[str, tuple[int, int]] = {}
        for entry in self._candidates():
            st = entry.stat(follow_symlinks=False)
            sig = (st.st_size, st.st_mtime_ns)
            current[entry.name] = sig
            settled = time.time() - st.st_mtime > SETTLED_S
            if self._seen.get(entry.name) != sig and not settled:
                continue  # new or still changing: look again next time
            self._handle(Path(entry.path), st.st_size)
            current.pop(entry.name, None)
            handled += 1
        self._seen = current
        self.handled += handled
        return handled

    def _handle(self, path: Path, size: int) -> None:
        operator = f"cap-drop:{path.name[:80]}"
        try:
            if size > MAX_BYTES:
                raise CapError(f"the file is {size} bytes; CAP alerts here are limited to "
                               f"{MAX_BYTES} bytes")
            data = path.read_bytes()
            future = self.submit(lambda: self.ingest(operator, data))
            outcome = future.result(timeout=self.call_timeout_s)
        except (CapError, CommandError) as exc:
            self._move(path, self.refused)
            reason = " ".join(str(exc).split())
            (self.refused / f"{path.name}.reason.txt").write_text(reason + "\n",
                                                                  encoding="utf-8")
            log.warning("CAP file %s refused: %s", path.name, reason)
            return
        except FutureTimeout:
            log.warning("CAP file %s: the wall did not answer; trying again", path.name)
            return
        except Exception as exc:  # noqa: BLE001 - one bad file must not block the others
            log.exception("CAP file %s", path.name)
            self._move(path, self.refused)
            (self.refused / f"{path.name}.reason.txt").write_text(
                f"internal error: {exc}\n", encoding="utf-8")
            return
        self._move(path, self.done)
        log.info("CAP file %s: %s", path.name, getattr(outcome, "message", outcome))

    def _move(self, path: Path, where: Path) -> None:
        target = where / path.name
        if target.exists():  # never overwrite an earlier file of the same name
            target = where / f"{path.stem}.{time.strftime('%Y%m%dT%H%M%S')}-" \
                              f"{time.monotonic_ns() % 10**6}{path.suffix}"
        os.replace(path, target)


__all__ = ["CapDropFolder"]
