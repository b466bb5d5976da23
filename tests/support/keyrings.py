"""A real keyring for tests: keyrings.alt's plain-text file backend in a temp directory,
chosen the way an installation would choose one (keyringrc.cfg in $XDG_CONFIG_HOME, or
PYTHON_KEYRING_BACKEND). Never the user's keyring: conftest.py already points every XDG
directory at a throw-away home, and this moves them again into the test's own tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest


def use_backend(monkeypatch: pytest.MonkeyPatch, root: Path, backend: str | None) -> None:
    """Point keyring at `root` and (re)load its backend: from keyringrc.cfg (the file
    backend), or `backend` through PYTHON_KEYRING_BACKEND when given."""
    import keyring.core

    config = root / "config" / "python_keyring"
    config.mkdir(parents=True, exist_ok=True)
    (config / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "data"))
    if backend:
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    else:
        monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    keyring.core.init_backend()


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    """The keyring module, on a file backend under tmp_path/keyring."""
    import keyring
    import keyring.backends.fail

    use_backend(monkeypatch, tmp_path / "keyring", None)
    assert type(keyring.get_keyring()).__name__ == "PlaintextKeyring"
    yield keyring
    keyring.set_keyring(keyring.backends.fail.Keyring())  # nothing after it reaches a keyring


@pytest.fixture
def no_keyring(tmp_path, monkeypatch):
    """No keyring backend at all (keyring's own 'fail' backend, as on a bare server)."""
    import keyring
    import keyring.backends.fail

    use_backend(monkeypatch, tmp_path / "keyring", "keyring.backends.fail.Keyring")
    yield keyring
    keyring.set_keyring(keyring.backends.fail.Keyring())
