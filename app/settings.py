"""The user's own settings: saved views and the last wall, in SQLite.

Kept in the user's settings directory (`$XDG_CONFIG_HOME/nazar/nazar.sqlite3`), never in
`cameras.yaml`: the registry is shared by the control room, views belong to the operator.
Every write is one SQLite transaction, so a crash or power cut leaves either the old or the
new state, never half of one. A file that is not a usable database is moved aside (nothing is
deleted) and a fresh one is started; `problem` says what happened.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
MAX_SLOTS = 9


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
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(self.path, aside)
            self.problem = (f"settings file {self.path} could not be read ({exc}); it was kept "
                            f"as {aside.name} and a new one was started")
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)  # explicit transactions below
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer Nazar (schema {version})")
            with db:
                db.execute("BEGIN")
                db.execute("""CREATE TABLE IF NOT EXISTS views (
                    slot INTEGER PRIMARY KEY CHECK (slot BETWEEN 1 AND 9),
                    name TEXT NOT NULL, layout TEXT NOT NULL, cameras TEXT NOT NULL,
                    saved_at REAL NOT NULL)""")
                db.execute("""CREATE TABLE IF NOT EXISTS state (
                    key TEXT PRIMARY KEY, value TEXT NOT NULL)""")
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        self._db.close()

    # -- saved views -------------------------------------------------------------------------
    def save_view(self, slot: int, name: str, layout: str, cameras: list[str | None]) -> None:
        if not 1 <= slot <= MAX_SLOTS:
            raise ValueError(f"slot must be 1..{MAX_SLOTS}")
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO views VALUES (?, ?, ?, ?, ?)",
                             (slot, name, layout, json.dumps(cameras), time.time()))

    def views(self) -> list[SavedView]:
        out = []
        for slot, name, layout, cameras in self._db.execute(
                "SELECT slot, name, layout, cameras FROM views ORDER BY slot"):
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
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("UPDATE views SET name = ? WHERE slot = ?", (name, slot))

    def delete_view(self, slot: int) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM views WHERE slot = ?", (slot,))

    # -- other state (the last wall of each window, tour interval, ...) ---------------------
    def put(self, key: str, value: Any) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)",
                             (key, json.dumps(value)))

    def delete(self, key: str) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM state WHERE key = ?", (key,))

    def get(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default
