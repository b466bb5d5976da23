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
_SECRET_QUERY_KEYS = re.compile(r"(?i)^(pass(word)?|pwd|token|key|secret|auth)$")
_USERINFO_RE = re.compile(r"^([a-z][a-z0-9+.-]*://)([^/@]*)@", re.IGNORECASE)


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


def mask(url: str) -> str:
    """Hide the password part of a URL (and password-like query values) for display."""
    def hide_userinfo(m: re.Match[str]) -> str:
        userinfo = m.group(2)
        user = userinfo.split(":", 1)[0]
        return f"{m.group(1)}{user}:***@" if ":" in userinfo else f"{m.group(1)}***@"

    out = _USERINFO_RE.sub(hide_userinfo, url, count=1)
    if "?" in out:
        base, _, query = out.partition("?")
        parts = []
        for item in query.split("&"):
            key, eq, _value = item.partition("=")
            parts.append(f"{key}=***" if eq and _SECRET_QUERY_KEYS.match(key) else item)
        out = base + "?" + "&".join(parts)
    return out


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
        """For `demo://scene?size=sub`: ("scene", {"size": "sub"})."""
        parts = urlsplit(self.url)
        return parts.netloc + parts.path.rstrip("/"), dict(parse_qsl(parts.query))


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
    except ValueError as exc:
        raise UrlError(f"bad port: {exc}") from None
    if port == 0:
        raise UrlError("bad port: 0")
    return Source(scheme, resolved, display)
