"""Files that hold secrets (the API token, a relay hub's console passwords) must be private:
a regular file of this user that nobody else may read or write. No Qt, standard library only
(the relay hub runs it with Debian's Python)."""
from __future__ import annotations

import os
import stat
from pathlib import Path


class PrivateFileError(Exception):
    """The file cannot be trusted with a secret; the message names it and says how to fix it."""


def check_private(path: Path, what: str = "secret") -> None:
    st = Path(path).stat()
    if not stat.S_ISREG(st.st_mode):
        raise PrivateFileError(f"{path}: not a regular file")
    if st.st_uid != os.geteuid():
        raise PrivateFileError(f"{path}: belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        raise PrivateFileError(f"{path}: mode {stat.S_IMODE(st.st_mode):03o} lets others read "
                               f"or change the {what}; run: chmod 600 {path}")


__all__ = ["PrivateFileError", "check_private"]
