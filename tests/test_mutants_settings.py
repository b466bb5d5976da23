"""The operator's settings file (app/settings.py): what mutation testing found untested:
where it lives, the slots, damaged rows and values, a file from a newer Nazar, and the
messages when the file fails later."""
from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest

from app.settings import (MAX_SLOTS, SavedView, SettingsError, SettingsStore,
                          default_settings_dir)


@pytest.fixture
def store(tmp_path):
    s = SettingsStore(tmp_path)
    yield s
    s.close()


def test_the_settings_directory_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_settings_dir() == tmp_path / "cfg" / "nazar"
    monkeypatch.setenv("XDG_CONFIG_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_settings_dir() == tmp_path / "home" / ".config" / "nazar"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert default_settings_dir() == tmp_path / "home" / ".config" / "nazar"


def test_without_a_directory_the_store_opens_in_the_settings_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "deep" / "cfg"))
    s = SettingsStore()
    try:
        assert s.path == tmp_path / "deep" / "cfg" / "nazar" / "nazar.sqlite3"
        assert s.path.is_file() and s.problem is None
    finally:
        s.close()


def test_a_fresh_file_is_durable_and_leaves_nothing_beside_it(tmp_path):
    s = SettingsStore(str(tmp_path / "a" / "b"))  # a string, and directories made
    s.put("k", 1)
    assert s.problem is None
    assert s._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    s.close()
    other = sqlite3.connect(tmp_path / "a" / "b" / "nazar.sqlite3")
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("PRAGMA user_version").fetchone()[0] == 1
    other.close()
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["nazar.sqlite3"]


def test_slots_are_one_to_nine(store):
    assert MAX_SLOTS == 9
    for bad in (0, 10, -1):
        with pytest.raises(ValueError, match=r"^slot must be 1\.\.9$"):
            store.save_view(bad, "x", "2x2", [])
    store.save_view(9, "Nine", "1", ["A"])
    store.save_view(1, "One", "2x2", ["A", None, "B"])
    assert store.views() == [SavedView(1, "One", "2x2", ["A", None, "B"]),
                             SavedView(9, "Nine", "1", ["A"])]


def test_free_slot_view_rename_delete(store):
    assert store.free_slot() == 1 and store.view(1) is None
    for slot in (1, 2, 4):
        store.save_view(slot, f"V{slot}", "2x2", [])
    assert store.free_slot() == 3
    store.rename_view(2, "Gate")
    assert store.view(2).name == "Gate" and store.view(4).name == "V4"
    store.delete_view(1)
    assert [v.slot for v in store.views()] == [2, 4] and store.free_slot() == 1
    for slot in range(1, 9):
        store.save_view(slot, "x", "2x2", [])
    assert store.free_slot() == 9
    store.save_view(9, "x", "2x2", [])
    assert store.free_slot() is None
    store.save_view(2, "Again", "3x3", ["Z"])  # a slot is replaced, not added
    assert len(store.views()) == 9 and store.view(2) == SavedView(2, "Again", "3x3", ["Z"])


def test_damaged_rows_are_skipped_and_odd_cameras_become_empty_tiles(store):
    store.save_view(3, "Good", "2x2", ["A"])
    with store._db:
        for slot, cams in ((1, "{not json"), (2, json.dumps({"a": 1})),
                           (4, json.dumps(["B", 5, None, ["C"]]))):
            store._db.execute("INSERT INTO views VALUES (?, ?, ?, ?, ?)",
                              (slot, f"V{slot}", "2x2", cams, 0.0))
    assert store.views() == [SavedView(3, "Good", "2x2", ["A"]),
                             SavedView(4, "V4", "2x2", ["B", None, None, None])]


def test_state_values_round_trip_and_survive_a_restart(tmp_path):
    s = SettingsStore(tmp_path)
    value = {"layout": "3x3", "view": ["A", None], "n": 2.5}
    s.put("wall", value)
    s.put("tour", 10)
    s.put("tour", 20)
    s.put("gone", True)
    s.delete("gone")
    s.close()
    s = SettingsStore(tmp_path)
    try:
        assert s.get("wall") == value and s.get("tour") == 20
        assert s.get("gone") is None and s.get("gone", "dflt") == "dflt"
        assert s.problem is None
    finally:
        s.close()


def test_a_damaged_value_gives_the_default(store):
    with store._db:
        store._db.execute("INSERT INTO state VALUES ('bad', '{oops')")
    assert store.get("bad", 7) == 7


def test_a_file_from_a_newer_nazar_is_kept_aside_not_overwritten(tmp_path, caplog):
    path = tmp_path / "nazar.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version=2")
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING, logger="nazar.settings"):
        s = SettingsStore(tmp_path)
    try:
        aside = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
        assert len(aside) == 1
        assert re.fullmatch(r"nazar\.sqlite3\.unreadable-\d{8}-\d{6}", aside[0].name)
        assert s.problem == (f"settings file {path} could not be used (written by a newer "
                             f"Nazar (schema 2)); it was kept as {aside[0].name} and a new "
                             "one was started (saved views and the last wall start empty)")
        assert [r.getMessage() for r in caplog.records] == [s.problem]
        kept = sqlite3.connect(aside[0])
        assert kept.execute("PRAGMA user_version").fetchone()[0] == 2
        kept.close()
        assert s.views() == [] and s.get("x") is None
    finally:
        s.close()


def test_a_state_table_of_another_program_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "nazar.sqlite3")
    db.execute("CREATE TABLE state (k TEXT, v TEXT, extra INTEGER)")
    db.commit()
    db.close()
    s = SettingsStore(tmp_path)
    try:
        assert s.problem is not None
        assert "not Nazar's settings (table state has columns k, v, extra)" in s.problem
    finally:
        s.close()


def test_reopening_nazars_own_file_is_no_problem(tmp_path):
    SettingsStore(tmp_path).close()
    s = SettingsStore(tmp_path)
    assert s.problem is None
    s.close()
    assert [p.name for p in tmp_path.iterdir()] == ["nazar.sqlite3"]


def test_a_failing_file_later_says_what_could_not_be_done(tmp_path, caplog):
    s = SettingsStore(tmp_path)
    s.close()  # the file went away under us
    path = Path(tmp_path) / "nazar.sqlite3"
    for call, doing in ((lambda: s.views(), "read the saved views"),
                        (lambda: s.rename_view(1, "x"), "rename the view"),
                        (lambda: s.delete_view(1), "delete the view"),
                        (lambda: s.save_view(1, "x", "1", []), "save the view"),
                        (lambda: s.put("k", 1), "save"),
                        (lambda: s.delete("k"), "save")):
        caplog.clear()
        with pytest.raises(SettingsError) as err:
            call()
        assert str(err.value).startswith(f"settings file {path}: could not {doing} (")
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("ERROR", str(err.value))]
    assert s.get("k", "dflt") == "dflt"


def test_a_file_that_fails_its_quick_check_says_what_the_check_found(tmp_path):
    """Rows that break a NOT NULL constraint (a file edited by hand or by another tool):
    the problem quotes the first three findings of PRAGMA quick_check."""
    path = tmp_path / "nazar.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE views (slot INTEGER PRIMARY KEY, name TEXT, layout TEXT NOT NULL, "
               "cameras TEXT NOT NULL, saved_at REAL NOT NULL)")
    for slot in range(1, 5):
        db.execute("INSERT INTO views VALUES (?, NULL, '1', '[]', 0)", (slot,))
    db.commit()
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = replace(sql, 'name TEXT,', 'name TEXT NOT NULL,') "
               "WHERE name = 'views'")
    db.commit()
    db.close()
    s = SettingsStore(tmp_path)
    try:
        finding = "NULL value in views.name"
        assert f"could not be used (damaged: {finding}; {finding}; {finding}); it was kept" \
            in s.problem
        assert s.views() == []
    finally:
        s.close()
