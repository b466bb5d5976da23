"""The incident audit log: every incident event, in SQLite, hash-chained, before it is shown.

Alarm mode calls `AuditLog.append` for each event (raise, acknowledge, note, radius change,
clear, each camera's viewing start and stop during an incident, refusals) and shows the event's
effect on screen only after `append` has returned: by then the row is committed to disk
(`journal_mode=WAL`, `synchronous=FULL`, one `BEGIN IMMEDIATE` transaction per row).

The file is `audit.sqlite3` in the user's settings directory (`default_path()`). It is never
deleted, moved aside or started over: a file that is not a Nazar audit log raises `AuditError`
naming the file, and the application shows it.

Rows
----
Table `audit`, one row per event, columns in this order:

    seq          1, 2, 3, ... without gaps (the INTEGER PRIMARY KEY)
    utc          time of the event, ISO 8601 UTC with microseconds: 2025-01-31T18:30:05.123456+00:00
    ist_offset   the Asia/Kolkata display offset at that instant: "+05:30"
    os_user      the operating-system account of the writing process (the real account, not an
                 environment variable; who was on duty, e.g. $NAZAR_OPERATOR, belongs in `data`)
    host         the machine's host name
    event        one of `EVENTS`
    incident_id  the incident the event belongs to; NULL for events outside an incident
    data         the event's details as canonical JSON: keys sorted, separators "," and ":",
                 non-ASCII escaped as \\uXXXX (so the column is pure ASCII), no NaN/Infinity
    prev_hash    `hash` of the previous row; 64 zeros ("0" * 64) for seq 1
    hash         lower-case hex SHA-256 of the serialisation below

Hash serialisation (format "nazar-audit/1")
-------------------------------------------
`hash` is SHA-256 over the UTF-8 bytes of ten lines, each ending in one LF (0x0A), the last
included; a NULL incident_id is written as nothing after "=":

    nazar-audit/1
    seq=<seq in decimal>
    utc=<utc>
    ist_offset=<ist_offset>
    os_user=<os_user>
    host=<host>
    event=<event>
    incident_id=<incident_id, or empty when NULL>
    data=<data, exactly as stored>
    prev_hash=<prev_hash>

No field can contain a control character (os_user and host have them replaced by "?",
incident_id and event refuse them, data is ASCII JSON), so the lines are unambiguous. An empty
incident_id is refused, so "incident_id=" means NULL. An auditor can recompute one row's hash
with the sqlite3 shell alone (the shell ends each output row with the last LF):

    sqlite3 -readonly audit.sqlite3 "SELECT 'nazar-audit/1'||char(10)||'seq='||seq||char(10)||
      'utc='||utc||char(10)||'ist_offset='||ist_offset||char(10)||'os_user='||os_user||char(10)||
      'host='||host||char(10)||'event='||event||char(10)||'incident_id='||
      coalesce(incident_id,'')||char(10)||'data='||data||char(10)||'prev_hash='||prev_hash
      FROM audit WHERE seq=1" | sha256sum

Head file
---------
A chain cannot show that its newest rows were removed: the shortened chain is still a valid
chain. So after each commit `append` also writes `<log>.head` (JSON: seq and hash of the newest
row) atomically, under a lock file `<log>.head.lock` so that it only ever moves forward.
`verify` reports a log that ends before the head's seq, or whose row at the head's seq has
another hash. The head can lag by one row (a crash between the commit and the head write), so
removing only that one row is not seen; it never runs ahead of the log. When `AuditLog` opens a
log that does not reach its head, it keeps recording, but its first row is an `integrity` event
saying what was missing, and `verify` reports every such row: a loss never verifies clean.

What the log proves, and what it does not
-----------------------------------------
The chain proves that the rows have not been edited, removed, inserted or reordered *by
someone who did not recompute the hashes*, and the head that the newest rows were not cut off
without also editing the head file. There is no secret key: someone with write access to the
files can rewrite the chain from any row onwards, recompute every hash and rewrite the head,
and `verify` will find nothing. Evidence against that needs a hash kept elsewhere (printed on
an incident report, sent to another machine). `utc` is the writing machine's clock, as set.

Command line:  python -m app.audit verify [PATH]   (./nazar audit verify [PATH])
    "OK: N rows, chain intact" and exit 0; each problem and exit 1; no such file: exit 2.
"""
from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import socket
import sqlite3
import time
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.settings import default_settings_dir

log = logging.getLogger(__name__)

FORMAT = "nazar-audit/1"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x4E5A4155  # "NZAU" in the SQLite header: this file is a Nazar audit log
GENESIS_HASH = "0" * 64
FILE_NAME = "audit.sqlite3"

# Every event the log accepts; a new kind of event is one more line here.
EVENTS: dict[str, str] = {
    "raise": "an incident was raised",
    "acknowledge": "an operator acknowledged an incident",
    "note": "an operator added a note to an incident",
    "radius": "the incident's search radius was changed",
    "update": "an incident was moved or given another radius (e.g. by a CAP Update)",
    "cap": "a CAP message was received (API or drop folder): accepted, duplicate or refused",
    "clear": "an incident was cleared (closed)",
    "view_start": "a camera started to be shown during an incident",
    "view_stop": "a camera stopped being shown during an incident",
    "refused": "an action was refused (e.g. an incident_only private camera outside an incident)",
    # Written by AuditLog itself, never by callers: see `AuditLog.__init__`.
    "integrity": "on opening, the log did not reach its head file: rows missing at the end",
}

COLUMNS = ("seq", "utc", "ist_offset", "os_user", "host", "event", "incident_id", "data",
           "prev_hash", "hash")


class AuditError(Exception):
    """The audit log cannot be used; the message names the file and says why."""


def default_path() -> Path:
    return default_settings_dir() / FILE_NAME


def head_path(path: Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".head")


@dataclass(frozen=True)
class AuditRow:
    seq: int
    utc: str
    ist_offset: str
    os_user: str
    host: str
    event: str
    incident_id: str | None
    data: str  # canonical JSON, exactly as stored and hashed
    prev_hash: str
    hash: str

    @property
    def payload(self) -> dict:
        """`data` as a dict."""
        return json.loads(self.data)

    @property
    def local_time(self) -> dt.datetime:
        """The event's time in the recorded display offset (IST)."""
        sign = -1 if self.ist_offset.startswith("-") else 1
        hours, minutes = self.ist_offset[1:].split(":")
        offset = dt.timedelta(hours=int(hours), minutes=int(minutes)) * sign
        return dt.datetime.fromisoformat(self.utc).astimezone(dt.timezone(offset))


def serialise(seq: int, utc: str, ist_offset: str, os_user: str, host: str, event: str,
              incident_id: str | None, data: str, prev_hash: str) -> bytes:
    """The bytes that `hash` is the SHA-256 of (see the module docstring)."""
    lines = (FORMAT, f"seq={seq}", f"utc={utc}", f"ist_offset={ist_offset}",
             f"os_user={os_user}", f"host={host}", f"event={event}",
             f"incident_id={'' if incident_id is None else incident_id}", f"data={data}",
             f"prev_hash={prev_hash}")
    return "".join(line + "\n" for line in lines).encode("utf-8")


def row_hash(seq: int, utc: str, ist_offset: str, os_user: str, host: str, event: str,
             incident_id: str | None, data: str, prev_hash: str) -> str:
    return hashlib.sha256(serialise(seq, utc, ist_offset, os_user, host, event, incident_id,
                                    data, prev_hash)).hexdigest()


def canonical_json(data: dict) -> str:
    if not isinstance(data, dict):
        raise TypeError(f"audit data must be a dict, not {type(data).__name__}")
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029" for ch in text)


def _clean(text: str) -> str:
    return "".join("?" if _has_control(ch) else ch for ch in text) or "?"


def _os_user() -> str:
    try:
        import pwd
        return _clean(pwd.getpwuid(os.geteuid()).pw_name)
    except (ImportError, KeyError, OSError):
        return f"uid:{os.geteuid()}" if hasattr(os, "geteuid") else "unknown"


def _ist_offset(at: dt.datetime) -> str:
    """The Asia/Kolkata UTC offset at `at` as "+05:30" (fixed +05:30 without tzdata)."""
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            offset = at.astimezone(ZoneInfo("Asia/Kolkata")).utcoffset()
        except ZoneInfoNotFoundError:
            return "+05:30"
    except ImportError:
        return "+05:30"
    if offset is None:
        return "+05:30"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# -- the writer ------------------------------------------------------------------------------
class AuditLog:
    """Appends hash-chained rows to one audit file; safe from several threads and processes."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_path()
        self.head_path = head_path(self.path)
        self._lock_path = self.path.with_name(self.path.name + ".head.lock")
        self._lock = threading.Lock()
        self._os_user = _os_user()
        self._host = _clean(socket.gethostname())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            raise AuditError(f"audit log {self.path} cannot be used: {exc}. The file was left "
                             "as it is; move it away (keep it: it is evidence) or point "
                             "Nazar at another file.") from exc
        # Rows missing at the end (cut off, or an older copy put back): the log keeps
        # recording from the rows that are there, but first records the loss in itself, so
        # that it stays visible (verify reports every such row) once the head moves on.
        self.problem: str | None = None
        problems = _check_head(self._db, self.head_path)
        if problems:
            self.problem = f"audit log {self.path}: " + "; ".join(problems)
            head = _read_head(self.head_path)
            self.append("integrity", None, {"problems": problems,
                                            "head": head if isinstance(head, dict) else None},
                        _force_head=True)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=30,
                             check_same_thread=False)
        try:
            _switch_to_wal(db)
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            try:
                app_id = db.execute("PRAGMA application_id").fetchone()[0]
                version = db.execute("PRAGMA user_version").fetchone()[0]
                tables = {r[0] for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                if app_id == 0 and not tables:
                    db.execute("""CREATE TABLE audit (
                        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
                        utc TEXT NOT NULL, ist_offset TEXT NOT NULL,
                        os_user TEXT NOT NULL, host TEXT NOT NULL,
                        event TEXT NOT NULL, incident_id TEXT, data TEXT NOT NULL,
                        prev_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)""")
                    db.execute("CREATE INDEX audit_incident ON audit (incident_id, seq)")
                    # Append-only for the application; a deliberate editor can drop these, and
                    # the chain is what shows that.
                    for op in ("UPDATE", "DELETE"):
                        db.execute(f"""CREATE TRIGGER audit_no_{op.lower()} BEFORE {op} ON audit
                            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""")
                    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                elif app_id != APPLICATION_ID or "audit" not in tables:
                    raise sqlite3.DatabaseError("it is a database, but not a Nazar audit log")
                elif version > SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(
                        f"written by a newer Nazar (audit schema {version})")
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, event: str, incident_id: str | None, data: dict, *,
               _force_head: bool = False) -> AuditRow:
        """Record one event; returns once the row is committed to disk."""
        if event not in EVENTS or (event == "integrity" and not _force_head):
            raise ValueError(f"unknown audit event {event!r} (known: "
                             f"{', '.join(e for e in EVENTS if e != 'integrity')})")
        if incident_id is not None:
            if not isinstance(incident_id, str) or not incident_id or _has_control(incident_id):
                raise ValueError(f"incident_id must be None or a non-empty single-line string, "
                                 f"not {incident_id!r}")
        payload = canonical_json(data)
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")  # the write lock first: nobody appends in between
            try:
                last = db.execute(
                    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                now = dt.datetime.now(dt.timezone.utc)
                utc = now.isoformat(timespec="microseconds")
                fields = (seq, utc, _ist_offset(now), self._os_user, self._host, event,
                          incident_id, payload, prev)
                row = AuditRow(*fields, row_hash(*fields))
                db.execute(f"INSERT INTO audit ({', '.join(COLUMNS)}) VALUES "
                           f"({', '.join('?' * len(COLUMNS))})",
                           tuple(getattr(row, c) for c in COLUMNS))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            try:
                self._write_head(row, force=_force_head)
            except OSError as exc:  # the row is committed; only the truncation check weakens
                log.warning("audit head file %s not written: %s", self.head_path, exc)
        return row

    def _write_head(self, row: AuditRow, force: bool = False) -> None:
        """Move the head forward to `row` (never back: another process may be further on)."""
        with open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            head = _read_head(self.head_path)
            if not force and isinstance(head, dict) and head["seq"] >= row.seq:
                return
            tmp = self.head_path.with_name(self.head_path.name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(json.dumps({"format": FORMAT, "seq": row.seq, "hash": row.hash,
                                    "utc": row.utc}, sort_keys=True).encode() + b"\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.head_path)
            dir_fd = os.open(self.head_path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


# -- reading and verifying -------------------------------------------------------------------
def _open_ro(path: Path) -> sqlite3.Connection:
    """Open read-only: reading or verifying never changes the log."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no audit log at {path}")
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _switch_to_wal(db: sqlite3.Connection, tries: int = 200) -> None:
    """`PRAGMA journal_mode=WAL` needs a moment alone with the file, and SQLite answers
    "database is locked" at once, without its busy wait, while another process (a second
    Nazar creating the same log) holds it: retry for up to about 10 s."""
    for attempt in range(tries):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _read_head(path: Path) -> Any:
    """The head file's JSON, None when there is none, or a string saying what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"head file {path} cannot be read: {exc}"
    try:
        head = json.loads(text)
    except ValueError:
        return f"head file {path} is damaged"
    if not (isinstance(head, dict) and isinstance(head.get("seq"), int)
            and isinstance(head.get("hash"), str)):
        return f"head file {path} is damaged"
    return head


def _check_head(db: sqlite3.Connection, path: Path) -> list[str]:
    head = _read_head(path)
    if head is None:
        return []
    if isinstance(head, str):
        return [head]
    last = db.execute("SELECT max(seq) FROM audit").fetchone()[0] or 0
    if head["seq"] > last:
        return [f"the log ends at seq {last} but its head file records seq {head['seq']}: "
                f"rows {last + 1}..{head['seq']} are missing (removed, or an older copy of "
                "the file was put back)"]
    found = db.execute("SELECT hash FROM audit WHERE seq = ?", (head["seq"],)).fetchone()
    if found is None or found[0] != head["hash"]:
        return [f"seq {head['seq']}: its hash is not the one recorded in the head file "
                "(the row or the chain up to it was rewritten)"]
    return []


def _select(db: sqlite3.Connection, where: str = "", args: tuple = ()) -> sqlite3.Cursor:
    return db.execute(f"SELECT {', '.join(COLUMNS)} FROM audit {where} ORDER BY seq", args)


def rows(path: Path | str, incident_id: str | None = None) -> list[AuditRow]:
    """Every row in seq order, or those of one incident; the file is opened read-only."""
    db = _open_ro(Path(path))
    try:
        if incident_id is None:
            cur = _select(db)
        else:
            cur = _select(db, "WHERE incident_id = ?", (incident_id,))
        return [AuditRow(*r) for r in cur]
    except sqlite3.DatabaseError as exc:
        raise AuditError(f"audit log {path} cannot be read: {exc}") from exc
    finally:
        db.close()


def verify(path: Path | str) -> list[str]:
    """Problems found in the log, empty when it is intact; the file is opened read-only.

    Raises FileNotFoundError when there is no file at all.
    """
    path = Path(path)
    db = _open_ro(path)
    problems: list[str] = []
    try:
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            cols = [r[1] for r in db.execute("PRAGMA table_info(audit)")]
        except sqlite3.DatabaseError as exc:
            return [f"{path} is not a readable SQLite database: {exc}"]
        if app_id != APPLICATION_ID or not set(COLUMNS) <= set(cols):
            return [f"{path} is not a Nazar audit log"]
        try:
            all_rows = [AuditRow(*r) for r in _select(db)]
        except sqlite3.DatabaseError as exc:
            return [f"{path}: rows cannot be read: {exc}"]
        by_hash = {r.hash: r.seq for r in all_rows}
        prev: AuditRow | None = None
        for r in all_rows:
            expected_seq = prev.seq + 1 if prev else 1
            if r.seq != expected_seq:
                gap = (f"seq {expected_seq}" if r.seq == expected_seq + 1
                       else f"seqs {expected_seq}..{r.seq - 1}")
                problems.append(f"seq {r.seq}: expected seq {expected_seq} ({gap} missing or "
                                "renumbered)")
            try:
                ok = row_hash(r.seq, r.utc, r.ist_offset, r.os_user, r.host, r.event,
                              r.incident_id, r.data, r.prev_hash) == r.hash
            except (TypeError, AttributeError):
                ok = False
            if not ok:
                problems.append(f"seq {r.seq}: content does not match its hash (edited)")
            expected_prev = prev.hash if prev else GENESIS_HASH
            if r.prev_hash != expected_prev:
                other = by_hash.get(r.prev_hash)
                if other is not None:
                    problems.append(f"seq {r.seq}: links to seq {other}, not to "
                                    f"{'seq ' + str(prev.seq) if prev else 'the start'} "
                                    "(a row inserted, or rows out of order)")
                elif prev is None:
                    problems.append(f"seq {r.seq}: the first row does not start the chain "
                                    "(rows before it removed)")
                else:
                    problems.append(f"seq {r.seq}: prev_hash does not match seq {prev.seq}'s "
                                    "hash (a row was removed, inserted or changed)")
            if r.event == "integrity":
                try:
                    found = "; ".join(r.payload.get("problems") or [])
                except (ValueError, AttributeError, TypeError):
                    found = r.data
                problems.append(f"seq {r.seq}: Nazar recorded on opening the log that rows were "
                                f"missing: {found}")
            prev = r
        problems += _check_head(db, head_path(path))
    finally:
        db.close()
    return problems


# -- command line ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.audit",
                                     description="Nazar's incident audit log.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_verify = sub.add_parser("verify", help="check that the log's hash chain is intact")
    p_verify.add_argument("path", nargs="?", type=Path, default=None,
                          help=f"the audit log (default: {default_path()})")
    args = parser.parse_args(argv)

    path = args.path if args.path is not None else default_path()
    if not path.exists():
        print(f"no audit log at {path}", file=sys.stderr)
        head = _read_head(head_path(path))
        if isinstance(head, dict):
            print(f"but its head file records {head['seq']} rows: the log was removed",
                  file=sys.stderr)
        return 2
    problems = verify(path)
    if problems:
        for p in problems:
            print(p)
        print(f"FAILED: {len(problems)} problem(s) in {path}")
        return 1
    n = len(rows(path))
    print(f"OK: {n} rows, chain intact")
    if n and _read_head(head_path(path)) is None:
        print(f"note: no head file {head_path(path).name} beside it, so rows removed from the "
              "end could not be checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
