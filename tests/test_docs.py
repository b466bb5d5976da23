"""The README tells the truth: its shortcut table is the window's QActions."""
from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QMenu

from app.feeds import FeedManager
from app.layouts import WallModel
from app.registry import Registry
from widgets.actions import markdown_table, shortcut_rows
from widgets.main_window import MainWindow

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_shortcuts() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Keyboard shortcuts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| (?!Action \||---)(.+?) \| (.+?) \|$", section, re.M)


def test_readme_shortcut_table_matches_the_actions(qtbot):
    win = MainWindow(Registry(path=None), WallModel(), FeedManager())
    qtbot.addWidget(win)
    rows = shortcut_rows(win.actions_by_name)
    assert len(rows) >= 25
    assert readme_shortcuts() == rows, "README table out of date; it should be:\n" + \
        markdown_table(rows)
    # The help overlay (F1) shows the same rows.
    assert win.help.rows == rows
    # Every QAction with a shortcut is in a menu.
    in_menus = {a.objectName() for m in win.menuBar().findChildren(QMenu) for a in m.actions()}
    assert {n for n, a in win.actions_by_name.items() if a.shortcuts()} <= in_menus
    win.close()


def test_readme_quick_start_has_exactly_two_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./nazar demo", "./nazar test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "./nazar test" in ci



def test_readme_documents_every_command_line_option():
    import main

    text = README.read_text(encoding="utf-8")
    options = [o for a in main.build_parser()._actions for o in a.option_strings
               if o.startswith("--") and o != "--help"]
    assert len(options) >= 18
    missing = [o for o in options if f"`{o}" not in text]
    assert not missing, f"README's option table lacks {missing}"
