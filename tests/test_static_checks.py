"""The architecture and code checks that CI runs: ruff, mypy and import-linter, all configured
in pyproject.toml. Each runs from this venv as a subprocess; its output is shown on failure."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args: list[str]) -> None:
    try:
        res = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as e:
        pytest.fail(f"{args[0]} is missing: install the test extra (./nazar setup): {e}")
    assert res.returncode == 0, (f"{' '.join(args)} exited {res.returncode}:\n"
                                 f"{res.stdout}\n{res.stderr}")


def test_ruff_lint():
    _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])


def test_mypy_types():
    _run([sys.executable, "-m", "mypy"])  # what to check: [tool.mypy] files


def test_import_contracts():
    # lint-imports reads [tool.importlinter]; it imports nothing, it parses the sources.
    _run([str(BIN / "lint-imports"), "--no-cache"])
