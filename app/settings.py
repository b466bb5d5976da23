"""The user's own settings: saved views and the last wall, in SQLite.

Kept in the user's settings directory (`$XDG_CONFIG_HOME/nazar/nazar.sqlite3`), never in
`cameras.yaml`: the registry is shared by the control room, views belong to the operator.
Every write is one SQLite transaction, so a crash or power cut leaves either the old or the
new state, never half of one. At start the file is checked (`PRAGMA quick_check`, and that
its tables are Nazar's); a file that fails, is not a database, or was written by a newer
Nazar is moved aside with its write-ahead log (nothing is deleted), a fresh one is started,
and `problem` says what happened (the window shows it, the log has it). A settings error
later on raises `SettingsError` with a message for the officer, never a bare sqlite3 error.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
MAX_SLOTS = 9
TABLES = {"views": ["slot", "name", "layout", "cameras", "saved_at"],
          "state": ["key", "value"]}

log = logging.getLogger("nazar.settings")


class SettingsError(Exception):
    """The settings file failed; the message names it and says what happened."""


def default_settings_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "nazar"


@dataclass(frozen=True)
class SavedView:
    slot: int  # 1..9: Alt+slot opens it
    name: str
    layout: str
    cameras: list[str | None]


class SettingsStore:
    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else default_settings_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "nazar.sqlite3"
        self.problem: str | None = None
        # SQLite removes a write-ahead log it cannot use when the connection closes: keep a
        # copy until the file has opened, so that a file set aside keeps its log.
        wal = Path(f"{self.path}-wal")
        wal_copy = self.path.with_name(f"{self.path.name}.wal-at-start")
        if wal.exists():
            shutil.copy2(wal, wal_copy)
        try:
            self._db = self._open()
        except sqlite3.Error as exc:
            aside = self.path.with_name(
                f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            if self.path.exists():
                os.replace(self.path, aside)
            if wal_copy.exists():
                os.replace(wal_copy, Path(f"{aside}-wal"))
            for suffix in ("-wal", "-shm"):  # never let them meet the fresh file
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.problem = (f"settings file {self.path} could not be used ({exc}); it was kept "
                            f"as {aside.name} and a new one was started (saved views and the "
                            "last wall start empty)")
            log.warning("%s", self.problem)
            self._db = self._open()
        finally:
            wal_copy.unlink(missing_ok=True)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions below
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer Nazar (schema {version})")
            check = db.execute("PRAGMA quick_check").fetchall()
            if [tuple(r) for r in check] != [("ok",)]:
                raise sqlite3.DatabaseError("damaged: " + "; ".join(str(r[0]) for r in check[:3]))
            for table, columns in TABLES.items():  # before writing anything into it
                found = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                if found and found != columns:
                    raise sqlite3.DatabaseError(f"not Nazar's settings (table {table} has "
                                                f"columns {', '.join(found)[:80]})")
            with db:
                db.execute("BEGIN")
                db.execute("""CREATE TABLE IF NOT EXISTS views (
                    slot INTEGER PRIMARY KEY CHECK (slot BETWEEN 1 AND 9),
                    name TEXT NOT NULL, layout TEXT NOT NULL, cameras TEXT NOT NULL,
                    saved_at REAL NOT NULL)""")
                db.execute("""CREATE TABLE IF NOT EXISTS state (
                    key TEXT PRIMARY KEY, value TEXT NOT NULL)""")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _fail(self, exc: sqlite3.Error, doing: str) -> SettingsError:
        msg = f"settings file {self.path}: could not {doing} ({exc})"
        log.error("%s", msg)
        return SettingsError(msg)

    def close(self) -> None:
        self._db.close()

    # -- saved views -------------------------------------------------------------------------
    def save_view(self, slot: int, name: str, layout: str, cameras: list[str | None]) -> None:
        if not 1 <= slot <= MAX_SLOTS:
            raise ValueError(f"slot must be 1..{MAX_SLOTS}")
        self._write("save the view", "INSERT OR REPLACE INTO views VALUES (?, ?, ?, ?, ?)",
                    (slot, name, layout, json.dumps(cameras), time.time()))

    def _write(self, doing: str, sql: str, args: tuple) -> None:
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise self._fail(exc, doing) from None

    def _read(self, doing: str, sql: str, args: tuple = ()) -> list:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc, doing) from None

    def views(self) -> list[SavedView]:
        out = []
        for slot, name, layout, cameras in self._read(
                "read the saved views", "SELECT slot, name, layout, cameras FROM views "
                "ORDER BY slot"):
            try:
                cams = json.loads(cameras)
            except ValueError:
                continue  # one damaged row does not hide the others
            if isinstance(cams, list):
                out.append(SavedView(slot, name, layout,
                                     [c if isinstance(c, str) else None for c in cams]))
        return out

    def view(self, slot: int) -> SavedView | None:
        return next((v for v in self.views() if v.slot == slot), None)

    def free_slot(self) -> int | None:
        used = {v.slot for v in self.views()}
        return next((s for s in range(1, MAX_SLOTS + 1) if s not in used), None)

    def rename_view(self, slot: int, name: str) -> None:
        self._write("rename the view", "UPDATE views SET name = ? WHERE slot = ?", (name, slot))

    def delete_view(self, slot: int) -> None:
        self._write("delete the view", "DELETE FROM views WHERE slot = ?", (slot,))

    # -- other state (the last wall of each window, tour interval, ...) ---------------------
    def put(self, key: str, value: Any) -> None:
        self._write("save", "INSERT OR REPLACE INTO state VALUES (?, ?)",
                    (key, json.dumps(value)))

    def delete(self, key: str) -> None:
        self._write("save", "DELETE FROM state WHERE key = ?", (key,))

    def get(self, key: str, default: Any = None) -> Any:
        try:  # a read that fails is logged and gives the default: the wall runs on
            rows = self._read("read", "SELECT value FROM state WHERE key = ?", (key,))
        except SettingsError:
            return default
        if not rows:
            return default
        row = rows[0]
        try:
            return json.loads(row[0])
        except ValueError:
            return default
