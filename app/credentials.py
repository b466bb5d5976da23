"""Camera and recorder logins from the operating system's keyring (PyPI `keyring`).

A camera or recorder in cameras.yaml may say

    credentials: {keyring: nazar-scm-nvr, username: viewer}

and Nazar asks the keyring for the password of user `viewer` in service `nazar-scm-nvr` when
it loads the registry, then puts `viewer:<password>` into the camera's stream addresses,
percent-encoded (so a password with '@', '/', '#' or ':' needs no escaping). The file holds
only the service and user names; the password lives in the keyring (GNOME Keyring / KWallet
over the Secret Service, macOS Keychain, Windows Credential Locker, or any backend chosen with
PYTHON_KEYRING_BACKEND or keyringrc.cfg) and in the stream address in memory, which nothing
shows: every display of an address goes through `app.urls.mask`.

Errors name the service and the user, never a password (on failure there is none to name).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")


@dataclass(frozen=True)
class Credentials:
    """Where a login comes from: a keyring service and user name (no secret in it)."""

    service: str
    username: str
    line: int = field(default=0, compare=False)  # where cameras.yaml declares it

    def describe(self) -> str:
        return f"keyring service '{self.service}', user '{self.username}'"


class CredentialError(Exception):
    """The password could not be had; the message says why (never a password)."""


def keyring_password(cred: Credentials) -> str:
    """The password stored in the keyring for `cred`; CredentialError if there is none or the
    keyring cannot be read (no backend, locked, refused)."""
    try:
        import keyring
        import keyring.errors
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        raise CredentialError("the Python package 'keyring' is not installed") from None
    try:
        password = keyring.get_password(cred.service, cred.username)
    except keyring.errors.NoKeyringError:
        raise CredentialError(
            f"no keyring is available to read the password of {cred.describe()} (install "
            "and unlock a keyring, e.g. GNOME Keyring, or choose a backend with "
            "PYTHON_KEYRING_BACKEND or keyringrc.cfg)") from None
    except keyring.errors.KeyringLocked:
        raise CredentialError(f"the keyring is locked: cannot read the password of "
                              f"{cred.describe()}") from None
    except Exception as exc:  # noqa: BLE001 - any backend failure: its kind, not its text
        raise CredentialError(f"the keyring could not be read for {cred.describe()} "
                              f"({type(exc).__name__})") from None
    if password is None:
        raise CredentialError(f"no password in the keyring for {cred.describe()} (store it "
                              f"with: keyring set {cred.service} {cred.username})")
    if not password:
        raise CredentialError(f"the keyring's password for {cred.describe()} is empty")
    return password


def with_login(url: str, username: str, password: str) -> str:
    """`url` with `username:password@` put in front of its host, both percent-encoded.
    ValueError if the address is not a network stream or already has a user in it."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in NETWORK_SCHEMES:
        raise ValueError("credentials are for network streams (rtsp://, rtsps://, http://, "
                         "https://)")
    end = len(rest)
    for ch in "/?#":
        if ch in rest:
            end = min(end, rest.index(ch))
    if "@" in rest[:end]:
        raise ValueError("the address already has a user in it: give the login either in the "
                         "address or in 'credentials', not both")
    login = f"{quote(username, safe='')}:{quote(password, safe='')}@"
    return f"{scheme}://{login}{rest}"
