"""The README tells the truth: its shortcut table is the window's QActions."""
from __future__ import annotations

import re
from pathlib import Path

from app.feeds import FeedManager
from app.layouts import WallModel
from app.registry import Registry
from widgets.main_window import MainWindow

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_shortcuts() -> dict[str, str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Keyboard shortcuts", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (?!Action|---)(.+?) \| (.+?) \|$", section, re.M)
    return {action: keys for action, keys in rows}


def test_readme_shortcut_table_matches_the_actions(qtbot):
    win = MainWindow(Registry(path=None), WallModel(), FeedManager())
    qtbot.addWidget(win)
    actions = {a.text().replace("&", ""): a.shortcut().toString()
               for a in win.actions_by_name.values() if not a.shortcut().isEmpty()}
    assert len(actions) >= 9
    assert readme_shortcuts() == actions
    win.close()


def test_readme_quick_start_has_exactly_two_commands():
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["./nazar demo", "./nazar test"]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "./nazar test" in ci
