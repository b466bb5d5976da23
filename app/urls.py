"""Stream addresses: `${ENV}` substitution, validation and credential masking.

Passwords never live in `cameras.yaml`: a URL may say `rtsp://viewer:${MALL_PW}@10.1.2.3/ch1`
and the value comes from the environment when the registry is loaded. Everything that a
person can see (tiles, tooltips, logs, warnings) uses `mask()`.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

SCHEMES = ("rtsp", "rtsps", "http", "https", "file", "demo")

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UrlError(ValueError):
    """A stream address that cannot be used; the message names what is wrong."""


def substitute_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """Replace every `${NAME}` with the environment value; raise UrlError naming a missing one."""
    env = os.environ if env is None else env
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            missing.append(name)
            return ""
        return env[name]

    out = _ENV_RE.sub(repl, text)
    if missing:
        names = ", ".join(f"${{{n}}}" for n in dict.fromkeys(missing))
        raise UrlError(f"environment variable {names} is not set")
    return out


_SECRET_WORDS = ("pass", "pas", "pwd", "token", "secret", "auth", "key", "sig")


def _secret_key(key: str) -> bool:
    """A query or `;key=value` parameter whose value is a secret: pass, passwd, password,
    loginpas, pwd, pw, token, key, secret, auth, sig... (by the name, case ignored)."""
    k = key.strip().lower()
    return k == "pw" or any(w in k for w in _SECRET_WORDS)


def _mask_params(text: str, sep: str) -> str:
    out = []
    for item in text.split(sep):
        key, eq, _value = item.partition("=")
        out.append(f"{key}=***" if eq and _secret_key(key) else item)
    return sep.join(out)


def mask(url: str) -> str:
    """The address with its secrets replaced by `***`, for display, by parsing it:

    - the password of `scheme://user:password@host`: everything between the first ':' of the
      user information and the *last* '@' before the query, so a password containing '@',
      '/', '#' or ':' is hidden whole (a path that merely contains '@' is left alone);
    - the values of secret-looking parameters in the query (`?passwd=...&loginpas=...`) and
      in `;key=value` path parameters (`;pwd=...`), as some recorders take them.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = len(rest)
    for ch in "?":
        if ch in rest:
            cut = min(cut, rest.index(ch))
    at = rest.rfind("@", 0, cut)
    if at >= 0:
        userinfo, after = rest[:at], rest[at + 1:]
        if ":" in userinfo or "/" not in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = (f"{user}:***@" if ":" in userinfo else "***@") + after
    base, q, query = rest.partition("?")
    base = ";".join([base.split(";")[0]] + [_mask_params(p, "&") for p in base.split(";")[1:]]) \
        if ";" in base else base
    if q:
        query = _mask_params(query, "&")
    return f"{scheme}://{base}{q}{query}"


@dataclass(frozen=True)
class Source:
    """A resolved stream address, ready to open."""

    kind: str  # one of SCHEMES, "file" for local paths
    url: str  # with secrets substituted: never show this, show `display`
    display: str  # masked

    @property
    def is_network(self) -> bool:
        return self.kind in ("rtsp", "rtsps", "http", "https")

    @property
    def path(self) -> Path:
        if self.kind != "file":
            raise ValueError("not a file source")
        return Path(self.url[len("file://"):] if self.url.startswith("file://") else self.url)

    def demo_params(self) -> tuple[str, dict[str, str]]:
        """For `demo://scene?size=sub`: ("scene", {"size": "sub"}). `demo:///scene` (the
        habit of file:///) names the same scene."""
        parts = urlsplit(self.url)
        return (parts.netloc + parts.path).strip("/"), dict(parse_qsl(parts.query))


def parse_source(raw: str, base_dir: Path | None = None,
                 env: Mapping[str, str] | None = None) -> Source:
    """Validate one stream address from the registry and resolve `${ENV}` and relative paths."""
    if not isinstance(raw, str) or not raw.strip():
        raise UrlError("must be a non-empty string")
    raw = raw.strip()
    resolved = substitute_env(raw, env)
    display = mask(raw)  # mask the template: a secret in the environment never shows
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", resolved)
    if not m:
        # A local file path, relative to the registry file.
        path = Path(resolved).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return Source("file", str(path), display)
    scheme = m.group(1).lower()
    if scheme not in SCHEMES:
        raise UrlError(f"unsupported scheme '{scheme}://' (use one of: "
                       + ", ".join(s + "://" for s in SCHEMES) + ")")
    parts = urlsplit(resolved)
    if scheme == "file":
        if not parts.path:
            raise UrlError("file:// URL has no path")
        return Source("file", parts.path, display)
    if scheme == "demo":
        if not (parts.netloc or parts.path.strip("/")):
            raise UrlError("demo:// URL needs a scene name, e.g. demo://junction")
        return Source("demo", resolved, display)
    if not parts.hostname:
        raise UrlError("URL has no host")
    try:
        port = parts.port
    except ValueError:
        try:  # the masked address (no secret in it) has the same bad port: a real typo
            _ = urlsplit(display).port
        except ValueError as exc:
            raise UrlError(f"bad port: {exc}") from None
        # Only the address with its secrets has it: a raw '/', '#' or '?' in the password
        # split the URL, and the "port" is a piece of the password. Never quote it.
        raise UrlError("bad host or port (a password containing '/', '#', '?' or '@' must "
                       "be percent-encoded: %2F, %23, %3F, %40)") from None
    if port == 0:
        raise UrlError("bad port: 0")
    return Source(scheme, resolved, display)
