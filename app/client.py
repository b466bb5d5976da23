"""The command line for a running wall's dispatch API (`./nazar incident ...`, `./nazar cap`).

    ./nazar incident raise --site "South City Mall" --type fire [--priority 4] [--note ...]
    ./nazar incident raise --at 22.5014,88.3616 --radius 250 [--uncertainty 100]
    ./nazar incident list
    ./nazar incident ack ID | note ID TEXT | clear ID | cap ID
    ./nazar cap send FILE.xml
    ./nazar wall state
    ./nazar incident export ID [--out DIR] [--from ISO --to ISO] [--config cameras.yaml]

The wall must run with `--api`, except for `incident export`, which reads the incident from
the wall's settings directory and audit log (running or not) and writes the evidence bundle
(app/evidence.py). The address is read from `api-address` in the settings
directory (written by the running wall; else http://127.0.0.1:8765), the token from
`api-token` there; `--url`, `--token-file` and `--settings-dir` change them. Exit codes: 0 done,
1 the wall refused (its message is printed), 2 cannot reach the wall or bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from app.alarm import parse_point
from app.api import ADDRESS_FILE, DEFAULT_PORT, TOKEN_FILE, TokenFileError, load_token
from app.settings import default_settings_dir

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "cameras.yaml"  # as main.py


class ClientError(Exception):
    pass


def call(url: str, token: str, method: str, path: str, body: Any = None,
         content_type: str = "application/json", timeout: float = 15.0,
         operator: str = "cli") -> tuple[int, Any]:
    """(HTTP status, decoded JSON or text). Raises ClientError when the wall cannot be
    reached."""
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("X-Operator", operator)
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - our URL
            status, raw, ctype = resp.status, resp.read(), resp.headers.get("content-type", "")
    except urllib.error.HTTPError as exc:
        status, raw, ctype = exc.code, exc.read(), exc.headers.get("content-type", "")
    except (urllib.error.URLError, OSError) as exc:
        raise ClientError(f"cannot reach the wall at {url}: {getattr(exc, 'reason', exc)} "
                          "(is Nazar running with --api?)") from None
    if "json" in ctype:
        return status, json.loads(raw.decode("utf-8"))
    return status, raw.decode("utf-8", "replace")


def _address(settings_dir: Path) -> str:
    f = settings_dir / ADDRESS_FILE
    if f.exists():
        return f.read_text(encoding="utf-8").strip()
    return f"http://127.0.0.1:{DEFAULT_PORT}"


def _print_incident(d: dict) -> None:
    what = ("EXERCISE " if d.get("exercise") else "") + str(d.get("type", "")).upper()
    flags = " (on the wall)" if d.get("on_wall") else ""
    flags += "" if d.get("acknowledged") else " (not acknowledged)"
    print(f"{d['id']}  {what}  P{d.get('priority')}  {d.get('place')}  "
          f"{d.get('cameras')} camera(s){flags}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the wall's API (default: from the settings directory)")
    p.add_argument("--settings-dir", type=Path, help="the wall's --settings-dir")
    p.add_argument("--token-file", type=Path, help="default: api-token in the settings dir")
    p.add_argument("--json", action="store_true", help="print the wall's answer as JSON")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options above may come anywhere (`./nazar incident list --json`)."""
    pre = argparse.ArgumentParser(add_help=False)
    _common(pre)
    common, rest = pre.parse_known_args(argv)
    p = argparse.ArgumentParser(prog="nazar", description=__doc__.split("\n\n")[0])
    _common(p)
    sub = p.add_subparsers(dest="what", required=True)
    inc = sub.add_parser("incident", help="raise, list, acknowledge, note, clear incidents")
    isub = inc.add_subparsers(dest="action", required=True)
    r = isub.add_parser("raise", help="raise an incident at a site or a point")
    where = r.add_mutually_exclusive_group(required=True)
    where.add_argument("--site", help="a site's name or id, e.g. 'South City Mall'")
    where.add_argument("--at", metavar="LAT,LON", help="a point, e.g. 22.5014,88.3616")
    r.add_argument("--type", default="fire", choices=["fire", "crowd", "law_and_order", "other"])
    r.add_argument("--priority", type=int, default=3, choices=range(1, 6), metavar="1-5")
    r.add_argument("--radius", type=float, default=250.0, metavar="M")
    r.add_argument("--uncertainty", type=float, default=0.0, metavar="M")
    r.add_argument("--note", default="")
    r.add_argument("--exercise", action="store_true", help="an exercise: the EXERCISE banner")
    isub.add_parser("list", help="the open incidents")
    for name in ("ack", "clear", "show", "cap"):
        c = isub.add_parser(name)
        c.add_argument("id")
    e = isub.add_parser("export", help="write the incident's evidence bundle (sheet.html, "
                        "sheet.pdf, recorders.csv, handover.json, manifest); no wall needed")
    e.add_argument("id")
    e.add_argument("--out", type=Path, metavar="DIR",
                   help="a new directory (default: ./evidence-ID-<IST time>)")
    e.add_argument("--from", dest="window_from", metavar="ISO",
                   help="the evidence window's start, e.g. 2025-01-31T00:10 (IST unless a zone "
                   "is given); default: 1 h before the raise")
    e.add_argument("--to", dest="window_to", metavar="ISO",
                   help="the window's end; default: the clear, or now while open")
    e.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                   help="the camera registry (default: the bundled cameras.yaml)")
    e.add_argument("--snapshot-dir", type=Path, help="the wall's --snapshot-dir "
                   "(default: ~/Pictures/Nazar)")
    e.add_argument("--recordings-dir", type=Path, help="the wall's --recordings-dir "
                   "(default, as the wall's: recordings in --settings-dir if given, else "
                   "~/.local/share/nazar/recordings)")
    e.add_argument("--reference-recordings", action="store_true",
                   help="hash the recordings but do not copy them into the bundle (the "
                   "manifest lists their paths)")
    e.add_argument("--no-pdf", action="store_true", help="skip sheet.pdf (needs Qt)")
    n = isub.add_parser("note")
    n.add_argument("id")
    n.add_argument("text")
    cap = sub.add_parser("cap", help="send a CAP 1.2 file to the wall")
    csub = cap.add_subparsers(dest="action", required=True)
    s = csub.add_parser("send")
    s.add_argument("file", type=Path)
    wall = sub.add_parser("wall", help="the wall's state")
    wsub = wall.add_subparsers(dest="action", required=True)
    wsub.add_parser("state")
    args = p.parse_args(rest)
    for key, value in vars(common).items():
        setattr(args, key, value)
    return args


def export(args: argparse.Namespace, settings_dir: Path) -> int:
    """`incident export`: the evidence bundle, from the settings and audit log (no API).
    Exit status 0 written (the sheet lists what it found wrong), 1 no such incident or not
    written, 2 bad arguments or registry."""
    from app import evidence
    from app.registry import RegistryFileError, load_registry
    from app.snapshots import default_snapshot_dir

    try:
        start = evidence.parse_when(args.window_from) if args.window_from else None
        end = evidence.parse_when(args.window_to) if args.window_to else None
    except ValueError as exc:
        print(f"nazar: --from/--to: {exc}", file=sys.stderr)
        return 2
    try:
        registry = load_registry(args.config)
    except RegistryFileError as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return 2
    now = datetime.now(timezone.utc)
    out = args.out or evidence.default_out_dir(args.id, now)
    try:
        bundle = evidence.export_bundle(
            args.id, out, registry=registry, settings_dir=settings_dir,
            snapshot_dir=args.snapshot_dir or default_snapshot_dir(),
            recordings_dir=args.recordings_dir or (  # where main.py records by default
                args.settings_dir / "recordings" if args.settings_dir
                else evidence.default_recordings_dir()),
            window_from=start, window_to=end, now=now,
            copy_recordings=not args.reference_recordings,
            pdf_writer=None if args.no_pdf else evidence.pdf_in_subprocess)
    except evidence.EvidenceError as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"nazar: the bundle was not written: {exc}", file=sys.stderr)
        return 1
    sheet = bundle.sheet
    if args.json:
        print(json.dumps(sheet, ensure_ascii=False, indent=2))
    else:
        print(f"Evidence bundle of {args.id}: {bundle.path}")
        for b in sheet["recorders"]:
            inside = evidence.INSIDE_WORDS[b["inside_site"]]
            print(f"  {b['order']:>2}. {b['overwrite']['short']}"
                  + (f"  [{inside}]" if inside else "")
                  + f"  {b['site']}: {b['room'] or 'no recorder'} ({len(b['cameras'])} camera(s))")
        print(f"  manifest SHA-256 {bundle.manifest_sha256} ({sheet['manifest']['entries']} "
              "file(s))")
    for problem in bundle.problems:
        print(f"nazar: {problem}", file=sys.stderr)
    return 1 if "sheet.pdf" not in bundle.files and not args.no_pdf else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    settings_dir = args.settings_dir or default_settings_dir()
    if args.what == "incident" and args.action == "export":
        return export(args, settings_dir)
    try:
        token = load_token(args.token_file or settings_dir / TOKEN_FILE, create=False)
    except (TokenFileError, OSError) as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return 2
    url = args.url or _address(settings_dir)

    def go(method: str, path: str, body: Any = None,
           ctype: str = "application/json") -> tuple[int, Any]:
        return call(url, token, method, path, body, ctype)

    try:
        if args.what == "incident" and args.action == "raise":
            body: dict[str, Any] = {"type": args.type, "priority": args.priority,
                                    "radius_m": args.radius, "note": args.note,
                                    "uncertainty_m": args.uncertainty,
                                    "exercise": args.exercise}
            if args.site:
                body["site"] = args.site
            else:
                try:
                    body["lat"], body["lon"] = parse_point(args.at)
                except ValueError as exc:
                    print(f"nazar: --at: {exc}", file=sys.stderr)
                    return 2
            status, got = go("POST", "/api/incidents", body)
        elif args.what == "incident" and args.action == "list":
            status, got = go("GET", "/api/incidents")
        elif args.what == "incident" and args.action == "show":
            status, got = go("GET", f"/api/incidents/{args.id}")
        elif args.what == "incident" and args.action == "cap":
            status, got = go("GET", f"/api/incidents/{args.id}/cap")
        elif args.what == "incident" and args.action in ("ack", "clear"):
            status, got = go("POST", f"/api/incidents/{args.id}/{args.action}")
        elif args.what == "incident" and args.action == "note":
            status, got = go("POST", f"/api/incidents/{args.id}/note", {"text": args.text})
        elif args.what == "cap":
            try:
                data = args.file.read_bytes()
            except OSError as exc:
                print(f"nazar: {exc}", file=sys.stderr)
                return 2
            status, got = go("POST", "/api/cap", data, "application/xml")
        else:
            status, got = go("GET", "/api/state")
    except ClientError as exc:
        print(f"nazar: {exc}", file=sys.stderr)
        return 2
    if status >= 400:
        msg = got.get("error") if isinstance(got, dict) else got
        print(f"nazar: the wall refused ({status}): {msg}", file=sys.stderr)
        return 1 if status in (400, 404, 409) else 2
    if args.json or not isinstance(got, (dict, list)):
        print(got if isinstance(got, str) else json.dumps(got, indent=2))
    elif isinstance(got, list):
        for d in got:
            _print_incident(d)
        if not got:
            print("no open incidents")
    elif "selected" in got:
        print(got.get("message") or "")
        _print_incident(got)
        for p in got["selected"]:
            print(f"  {p['rank']:>3}. {p['camera']:<24} {p['chip']}")
    else:
        print(got.get("message") or json.dumps(got, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
