"""Why a stream would not open, in words for the officer (no Qt).

OpenCV says only that opening failed. After a failed open, the feed asks `diagnose(source)`,
which looks at the address the way a person would, with a short timeout:

    name not resolved   the host name is unknown (DNS)
    refused             nothing listens at that port
    no answer           the connection or the reply timed out
    unauthorized        the camera refused the user and password (RTSP/HTTP 401)
    not found           no such stream at that address (404)
    not a video stream  the answer is a web page, or an RTSP description without video
    not RTSP / HTTP     something else answers at that port

An RTSP probe is one DESCRIBE (with the address's credentials: Basic, or Digest when the
camera asks for it); an HTTP probe is one GET. Neither opens a media session. `kind` is None
when nothing specific was found (the stream may have failed later, in the decoder).
"""
from __future__ import annotations

import base64
import hashlib
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from app.urls import Source

UNAUTHORIZED, NOT_FOUND, NOT_VIDEO, REFUSED, NO_ANSWER, NO_NAME, NOT_PROTOCOL = (
    "unauthorized", "not found", "not a video stream", "refused", "no answer",
    "name not resolved", "not the expected protocol")


@dataclass(frozen=True)
class Diagnosis:
    kind: str | None
    text: str


def diagnose(source: Source, timeout: float = 3.0) -> Diagnosis:
    if source.kind in ("rtsp", "rtsps"):
        return _rtsp(source, timeout)
    if source.kind in ("http", "https"):
        return _http(source, timeout)
    return Diagnosis(None, "")


def _connect(host: str, port: int, timeout: float) -> socket.socket | Diagnosis:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return Diagnosis(NO_NAME, f"host name '{host[:60]}' not resolved")
    family, kind, proto, _canon, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(addr)
    except ConnectionRefusedError:
        sock.close()
        return Diagnosis(REFUSED, f"connection refused by {host[:60]}:{port}")
    except TimeoutError:
        sock.close()
        return Diagnosis(NO_ANSWER, f"no answer from {host[:60]}:{port}")
    except OSError as exc:
        sock.close()
        return Diagnosis(NO_ANSWER, f"{host[:60]}:{port} unreachable ({exc.strerror or exc})")
    return sock


def address_of(source: Source) -> tuple[str, int] | None:
    """(host, port) of a network stream, default ports filled in; None for other sources."""
    defaults = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}
    if source.kind not in defaults:
        return None
    parts = urlsplit(source.url)
    try:
        port = parts.port or defaults[source.kind]
    except ValueError:
        return None
    return (parts.hostname or "", port) if parts.hostname else None


def accepts(source: Source, timeout: float = 0.5) -> bool:
    """Whether the stream's host accepts a TCP connection at its port right now (connected
    and closed at once: nothing is sent)."""
    where = address_of(source)
    if where is None:
        return False
    got = _connect(where[0], where[1], timeout)
    if isinstance(got, Diagnosis):
        return False
    got.close()
    return True


def _describe(sock: socket.socket, url: str, auth: str | None) -> str:
    lines = [f"DESCRIBE {url} RTSP/1.0", "CSeq: 2", "Accept: application/sdp",
             "User-Agent: nazar-diagnose"]
    if auth:
        lines.append(f"Authorization: {auth}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    text = head.decode("latin-1")
    m = re.search(rb"(?i)content-length:\s*(\d+)", head)
    if m:
        want = min(int(m.group(1)), 65536)
        while len(body) < want:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
    return text + "\r\n\r\n" + body.decode("latin-1", "replace")


def _digest(challenge: str, user: str, password: str, method: str, uri: str) -> str:
    fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = fields.get("realm", ""), fields.get("nonce", "")
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 - RFC 2617
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()  # noqa: S324
    response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()  # noqa: S324
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}"')


def _status(reply: str) -> int | None:
    m = re.match(r"RTSP/1\.\d (\d{3})", reply)
    return int(m.group(1)) if m else None


def _rtsp(source: Source, timeout: float) -> Diagnosis:
    parts = urlsplit(source.url)
    host = parts.hostname or ""
    try:
        port = parts.port or (322 if source.kind == "rtsps" else 554)
    except ValueError:
        return Diagnosis(None, "")
    if source.kind == "rtsps":  # TLS: only reachability is checked here
        got = _connect(host, port, timeout)
        if isinstance(got, Diagnosis):
            return got
        got.close()
        return Diagnosis(None, "")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    # The request URI without credentials, as cameras expect it.
    netloc = host if ":" not in host else f"[{host}]"
    uri = f"rtsp://{netloc}:{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
    auth = None
    if user is not None:
        auth = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode()
    reply = ""
    for _attempt in range(2):  # Basic first; Digest when the camera asks for it
        got = _connect(host, port, timeout)
        if isinstance(got, Diagnosis):
            return got
        try:
            reply = _describe(got, uri, auth)
        except TimeoutError:
            return Diagnosis(NO_ANSWER, f"{host[:60]}:{port} accepted the connection but did "
                                        "not answer")
        except OSError as exc:
            return Diagnosis(NO_ANSWER, f"{host[:60]}:{port}: {exc.strerror or exc}")
        finally:
            got.close()
        challenge = re.search(r"(?im)^WWW-Authenticate:\s*(Digest .*)$", reply)
        if _status(reply) == 401 and user is not None and challenge and \
                not (auth or "").startswith("Digest"):
            auth = _digest(challenge.group(1), user, password or "", "DESCRIBE", uri)
            continue
        break
    status = _status(reply)
    if status is None:
        what = "an HTTP server" if reply.startswith("HTTP/") else "something else"
        if not reply.strip():
            return Diagnosis(NO_ANSWER, f"{host[:60]}:{port} closed the connection without "
                                        "answering")
        return Diagnosis(NOT_PROTOCOL, f"not an RTSP server at {host[:60]}:{port} "
                                       f"({what} answered)")
    if status == 401:
        why = "the user and password were refused" if user else "a user and password are needed"
        return Diagnosis(UNAUTHORIZED, f"unauthorized: {why} (RTSP 401)")
    if status == 404:
        return Diagnosis(NOT_FOUND, f"no stream at {parts.path[:60] or '/'} (RTSP 404)")
    if status == 200 and "m=video" not in reply:
        return Diagnosis(NOT_VIDEO, "the camera describes no video stream at that address")
    if status >= 400:
        return Diagnosis(None, f"the camera answered RTSP {status}")
    return Diagnosis(None, "")


def _http(source: Source, timeout: float) -> Diagnosis:
    parts = urlsplit(source.url)
    host = parts.hostname or ""
    req = urllib.request.Request(source.url, method="GET",
                                 headers={"User-Agent": "nazar-diagnose"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - registry URL
            ctype = resp.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return Diagnosis(UNAUTHORIZED, "unauthorized: the user and password were refused "
                                           "(HTTP 401)")
        if exc.code == 404:
            return Diagnosis(NOT_FOUND, f"no stream at {parts.path[:60] or '/'} (HTTP 404)")
        return Diagnosis(None, f"the camera answered HTTP {exc.code}")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.gaierror):
            return Diagnosis(NO_NAME, f"host name '{host[:60]}' not resolved")
        if isinstance(reason, ConnectionRefusedError):
            return Diagnosis(REFUSED, f"connection refused by {host[:60]}")
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return Diagnosis(NO_ANSWER, f"no answer from {host[:60]}")
        return Diagnosis(None, "")
    except TimeoutError:
        return Diagnosis(NO_ANSWER, f"{host[:60]} did not answer")
    except OSError:
        return Diagnosis(None, "")
    if "html" in ctype.lower():
        return Diagnosis(NOT_VIDEO, "not a video stream: the address gives a web page")
    return Diagnosis(None, "")


__all__ = ["Diagnosis", "diagnose", "UNAUTHORIZED", "NOT_FOUND", "NOT_VIDEO", "REFUSED",
           "NO_ANSWER", "NO_NAME", "NOT_PROTOCOL"]
