"""`cameras.yaml` -> typed, validated registry objects.

Validation never stops at the first problem: every problem is collected with the file, line,
camera (or station / site) id and field, the cameras with problems are left out, and the rest
are returned. Only a file that cannot be read or parsed at all raises `RegistryFileError`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from app.geometry import distance_m
from app.credentials import CredentialError, Credentials, keyring_password, with_login
from app.urls import Source, UrlError, mask, parse_source, substitute_env

SCHEMA_VERSION = 1
# Bounds for a file that may come from anywhere: 5,500 cameras take about 2 MB.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_TEXT = 1000  # characters in any one text field (names, addresses, URLs)
MAX_CAMERAS = 20_000
SITE_KINDS = ("mall", "multiplex", "market", "housing", "bank", "office", "petrol_pump",
              "hospital", "hotel", "transport", "other")
OWNERSHIPS = ("police", "private")
ACCESS = ("always", "incident_only")  # when a private camera may be watched (see README)
_LEVEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .+-]{0,11}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Coverage:
    bearing: float  # degrees clockwise from north
    fov: float  # field-of-view angle, degrees (360 = all round)
    range_m: float


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class Recorder:
    """A video recorder (NVR/DVR/VMS) that keeps a camera's footage: where it is, what device
    it is (for a BSA s.63 certificate) and how long it keeps footage before overwriting it.
    Only `room` and `retention_days` are required; the rest is None when not known."""

    room: str
    retention_days: int  # as declared by the owner
    site: str | None = None  # a site id, for private recorders
    station: str | None = None  # a station id, for police recorders
    id: str | None = None  # the same id everywhere it is declared: one recorder, one entry
    make: str | None = None  # "Hikvision"
    model: str | None = None  # "DS-7732NI-K4"
    serial: str | None = None
    retention_verified_at: dt.date | None = None  # when someone last checked retention_days
    clock_offset_s: float | None = None  # recorder clock minus true time, in seconds
    clock_checked_at: dt.datetime | None = None  # when the offset was measured (aware)
    building: str | None = None  # "South City Residences, Tower 2"
    level: str | None = None  # the storey, as for cameras: G, L4, B1 ...
    location: Location | None = None  # where the recorder itself is (for "inside the site")
    # The login of the recorder's streams: a keyring service and user (app/credentials.py),
    # for its cameras that give none of their own. Never a password.
    credentials: Credentials | None = None
    line: int = field(default=0, compare=False)  # where it is declared in the file


@dataclass(frozen=True)
class Station:
    id: str
    name: str
    division: str  # division id
    location: Location | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Division:
    id: str
    name: str
    stations: tuple[str, ...]  # station ids


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    kind: str
    station: str
    owner: str
    contact: Contact
    address: str
    location: Location
    recorder: Recorder | None = None
    # The building's outline, at least 3 points in order (not closed: the last point joins
    # the first). None: not known.
    footprint: tuple[Location, ...] | None = None


@dataclass(frozen=True)
class Camera:
    id: str
    name: str
    ownership: str  # "police" or "private"
    station: str  # always resolved (a private camera takes its site's station)
    site: str | None
    location: Location
    coverage: Coverage | None
    main: Source
    sub: Source | None
    recorder: Recorder | None
    level: str | None = None  # the storey, as written: "G", "L4", "B1", "4F", "3" ...
    tags: tuple[str, ...] = ()
    line: int = 0
    number: int = 0  # what the operator types (digits + Enter); see Registry.by_number
    indoor: bool | None = None  # None: not stated
    ptz: bool = False  # pan-tilt-zoom: where it points now is unknown
    position_accuracy_m: float = 0.0  # how far the real camera may be from `location`
    access: str = "always"  # "incident_only": a private camera watched only in an incident

    @property
    def is_police(self) -> bool:
        return self.ownership == "police"

    @property
    def floor(self) -> str | None:
        """The old name of `level` (registry files may still say `floor:`)."""
        return self.level


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file, with enough context to find and fix it."""

    file: str
    line: int
    message: str
    camera: str | None = None
    field: str | None = None
    entity: str | None = None  # e.g. "station park-street" for problems outside cameras

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        who = f"camera {self.camera}" if self.camera else (self.entity or "")
        what = f" field '{self.field}'" if self.field else ""
        subject = f" {who}{what}".rstrip()
        return f"{where}:{subject}: {self.message}" if subject else f"{where}: {self.message}"


@dataclass(frozen=True)
class Relay:
    """A relay hub (`./nazar relay`): pulls each camera stream it serves once and shares it
    with every console. A console opens `rtsp://HOST:PORT/<camera id>/main|sub` through it,
    and the camera directly when the hub is down."""

    id: str
    name: str
    host: str
    port: int
    user: str | None = None  # this console's credentials at the hub (None: no login)
    password: str | None = None
    divisions: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    line: int = 0

    def serves(self, cam: Camera, division: str | None) -> bool:
        return (cam.id in self.cameras or (cam.site is not None and cam.site in self.sites)
                or (division is not None and division in self.divisions))


@dataclass(frozen=True)
class MapConfig:
    """The map panel's basemap. Neither given: the built-in offline basemap."""

    tiles: str | None = None  # intranet tile server URL template with {z}/{x}/{y}
    mbtiles: Path | None = None  # an offline MBTiles or PMTiles file (raster or vector),
    #                              served by Nazar itself
    attribution: str = ""
    center: Location | None = None
    zoom: int = 12


@dataclass
class Registry:
    path: Path | None
    divisions: dict[str, Division] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)
    sites: dict[str, Site] = field(default_factory=dict)
    cameras: dict[str, Camera] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # ids of cameras left out
    map: MapConfig = field(default_factory=MapConfig)
    relays: dict[str, Relay] = field(default_factory=dict)
    recorders: dict[str, Recorder] = field(default_factory=dict)  # those with an `id`
    _numbers: dict[int, Camera] | None = field(default=None, repr=False)

    def relay_for(self, cam: Camera) -> Relay | None:
        """The first relay (in file order) that serves this camera, or None: direct."""
        station = self.stations.get(cam.station)
        division = station.division if station else None
        return next((r for r in self.relays.values() if r.serves(cam, division)), None)

    def by_number(self, number: int) -> Camera | None:
        if self._numbers is None:
            self._numbers = {c.number: c for c in self.cameras.values()}
        return self._numbers.get(number)

    def cameras_of_station(self, station_id: str) -> list[Camera]:
        return [c for c in self.cameras.values() if c.station == station_id]

    def cameras_of_site(self, site_id: str) -> list[Camera]:
        return [c for c in self.cameras.values() if c.site == site_id]

    def default_view(self, count: int) -> list[str]:
        """A first wall for a new user: police cameras from different divisions and private
        cameras from different sites, alternating."""
        def spread(cams: list[Camera], group: Callable[[Camera], str]) -> list[Camera]:
            groups: dict[str, list[Camera]] = {}
            for cam in cams:
                groups.setdefault(group(cam), []).append(cam)
            return _interleave(*groups.values())

        police = spread([c for c in self.cameras.values() if c.is_police],
                        lambda c: self.stations[c.station].division)
        private = spread([c for c in self.cameras.values() if not c.is_police],
                         lambda c: c.site or "")
        return [c.id for c in _interleave(police, private)[:count]]


def _interleave(*lists: list[Camera]) -> list[Camera]:
    """[a1, b1, c1, a2, b2, c2, ...]: one from each list in turn."""
    out: list[Camera] = []
    for i in range(max((len(x) for x in lists), default=0)):
        out.extend(x[i] for x in lists if i < len(x))
    return out


class RegistryFileError(Exception):
    """The file cannot be read or parsed at all. The message is meant for the user as it is."""


# ---------------------------------------------------------------------------------------------
# YAML with line numbers
# ---------------------------------------------------------------------------------------------
class _Map(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]


class _List(list):
    line: int = 0
    item_lines: list[int]


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    pass


def _construct_map(loader: Any, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    out.duplicate_keys = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            # A list or mapping as a key (an alias "bomb" of a few hundred bytes can expand
            # to gigabytes when it is turned into text): refused before it is built.
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be text, not a list or a mapping", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in out:
            out.duplicate_keys.append((key, line))
            continue
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _construct_list(loader: Any, node: yaml.SequenceNode) -> _List:
    out = _List(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)
# Dates and times stay text: the fields that take one parse it themselves, with a message
# naming the line (YAML's own timestamp constructor raises a bare ValueError on 2025-02-30,
# and would turn a name such as 2025-01-01 into a date).
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------
class _Invalid(Exception):
    """Raised inside a field check; carries the message."""


class _Checker:
    """Collects problems for one file while the entities are built."""

    def __init__(self, file: str, base_dir: Path | None, env: Mapping[str, str] | None):
        self.file = file
        self.base_dir = base_dir
        self.env = env
        self.problems: list[Problem] = []
        self._passwords: dict[Credentials, str | CredentialError] = {}  # one look-up each

    def password(self, cred: Credentials) -> str:
        """The keyring's password for `cred` (asked once per file); CredentialError."""
        got = self._passwords.get(cred)
        if got is None:
            try:
                got = keyring_password(cred)
            except CredentialError as exc:
                got = exc
            self._passwords[cred] = got
        if isinstance(got, CredentialError):
            raise got
        return got

    def add(self, line: int, message: str, *, camera: str | None = None,
            field: str | None = None, entity: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, message, camera, field, entity))

    def line_of(self, m: Any, key: str) -> int:
        if isinstance(m, _Map):
            return m.key_lines.get(key, m.line)
        return getattr(m, "line", 0)

    def mapping(self, value: Any, line: int, what: str, **ctx: Any) -> _Map | None:
        if isinstance(value, _Map):
            for key, dup_line in value.duplicate_keys:
                self.add(dup_line, f"duplicate key '{key}' (the first one is used)",
                         field=_join(ctx.get("field"), key),
                         **{k: v for k, v in ctx.items() if k != "field"})
            return value
        self.add(line, f"{what} must be a mapping (key: value), got {_type_name(value)}", **ctx)
        return None

    def unknown_keys(self, m: _Map, allowed: tuple[str, ...], prefix: str | None = None,
                     **ctx: Any) -> None:
        for key in m:
            if key not in allowed:
                hint = _closest(key, allowed)
                self.add(m.key_lines.get(key, m.line),
                         f"unknown key '{key}'" + (f" (did you mean '{hint}'?)" if hint else "")
                         + f"; allowed: {', '.join(allowed)}",
                         field=_join(prefix, key), **ctx)

    def get(self, m: _Map, key: str, check: Callable[[Any], Any], *, required: bool,
            prefix: str | None = None, default: Any = None, **ctx: Any) -> Any:
        """Run `check` on m[key]; record a problem (and return `_MISSING`) when it fails."""
        fname = _join(prefix, key)
        if key not in m or m[key] is None:
            if required:
                self.add(m.line, f"missing required field '{fname}'", field=fname, **ctx)
                return _MISSING
            return default
        try:
            return check(m[key])
        except _Invalid as exc:
            self.add(self.line_of(m, key), str(exc), field=fname, **ctx)
            return _MISSING


_MISSING: Any = object()


def _join(prefix: str | None, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", _Map: "a mapping", list: "a list", _List: "a list",
            str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), type(value).__name__)


def _closest(key: str, allowed: tuple[str, ...]) -> str | None:
    import difflib
    hits = difflib.get_close_matches(key, allowed, n=1, cutoff=0.7)
    return hits[0] if hits else None


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Invalid(f"must be text, got {_type_name(value)}")
    s = str(value).strip()
    if not s:
        raise _Invalid("must not be empty")
    if len(s) > MAX_TEXT:
        raise _Invalid(f"is {len(s)} characters long; at most {MAX_TEXT}")
    return s


def _slug(value: Any) -> str:
    s = _text(value)
    if not _SLUG.match(s):
        raise _Invalid(f"'{s}' is not a valid id (lower-case letters, digits and '-')")
    return s


def _camera_id(value: Any) -> str:
    s = _text(value)
    if not _CAMERA_ID.match(s):
        raise _Invalid(f"'{s}' is not a valid camera id (letters, digits, '.', '_' and '-')")
    return s


def _number(lo: float, hi: float, unit: str = "") -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(f"must be a number, got {_type_name(value)}")
        v = float(value)
        if not math.isfinite(v) or not lo <= v <= hi:
            raise _Invalid(f"{value}{unit} is out of range ({lo:g} to {hi:g}{unit})")
        return v
    return check


def _int(lo: int, hi: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be a whole number, got {_type_name(value)}")
        if not lo <= value <= hi:
            raise _Invalid(f"{value} is out of range ({lo} to {hi})")
        return value
    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false, got {_type_name(value)}")
    return value


def _level(value: Any) -> str:
    """A storey: a whole number (-20..300) or short text such as G, L4, B1, 4F, UG, P2."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not -20 <= value <= 300:
            raise _Invalid(f"{value} is out of range (-20 to 300)")
        return str(value)
    if isinstance(value, float) and not isinstance(value, bool):
        raise _Invalid(f"must be a whole number or short text such as G, L4, B1, got {value}")
    s = _text(value)
    if not _LEVEL.match(s):
        raise _Invalid(f"'{s}' is not a level: use a whole number or up to 12 letters and "
                       "digits, such as G, L4, B1, 4F")
    return s


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        s = _text(value)
        if s not in options:
            raise _Invalid(f"'{s}' is not one of: {', '.join(options)}")
        return s
    return check


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------
_TOP_KEYS = ("version", "map", "divisions", "sites", "cameras", "relays")
_RELAY_KEYS = ("id", "name", "address", "user", "password", "serves")
_SERVES_KEYS = ("divisions", "sites", "cameras")
_MAP_KEYS = ("tiles", "mbtiles", "pmtiles", "attribution", "center", "zoom")
_DIVISION_KEYS = ("id", "name", "stations")
_STATION_KEYS = ("id", "name", "location", "phone")
_SITE_KEYS = ("id", "name", "kind", "station", "owner", "contact", "address", "location",
              "recorder", "footprint")
_CAMERA_KEYS = ("id", "number", "name", "ownership", "station", "site", "location", "coverage",
                "streams", "recorder", "level", "floor", "indoor", "ptz",
                "position_accuracy_m", "access", "tags", "credentials")
_LOCATION_KEYS = ("lat", "lon")
_COVERAGE_KEYS = ("bearing", "fov", "range_m")
_CONTACT_KEYS = ("name", "phone")
_RECORDER_KEYS = ("id", "site", "station", "building", "level", "room", "location",
                  "retention_days", "retention_verified_at", "make", "model", "serial",
                  "clock_offset_s", "clock_checked_at", "credentials")
_CREDENTIALS_KEYS = ("keyring", "username")
_STREAM_KEYS = ("main", "sub")


def load_registry(path: str | Path, env: Mapping[str, str] | None = None) -> Registry:
    """Read and validate a registry file. Raises RegistryFileError only if it is unusable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RegistryFileError(f"{path}: the file is {size / 1e6:.0f} MB; a registry may "
                                    f"be at most {MAX_FILE_BYTES // (1024 * 1024)} MB (5,500 "
                                    "cameras take about 2 MB)")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryFileError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryFileError(f"{path}: cannot read the file ({exc})") from None
    return parse_registry(text, file=str(path), base_dir=path.parent.resolve(), env=env,
                          path=path)


def parse_registry(text: str, file: str = "<text>", base_dir: Path | None = None,
                   env: Mapping[str, str] | None = None, path: Path | None = None) -> Registry:
    if len(text) > MAX_FILE_BYTES:
        raise RegistryFileError(f"{file}: {len(text)} characters; a registry may be at most "
                                f"{MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{file}:{mark.line + 1}:{mark.column + 1}" if mark else file
        raise RegistryFileError(f"{where}: not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise RegistryFileError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(data, _Map):
        raise RegistryFileError(f"{file}: the top level must be a mapping with "
                                f"'version: {SCHEMA_VERSION}', 'divisions', 'sites' and "
                                f"'cameras', got {_type_name(data)}")
    version = data.get("version")
    if version != SCHEMA_VERSION:
        line = data.key_lines.get("version", 1)
        raise RegistryFileError(
            f"{file}:{line}: unsupported registry version {version!r}; this Nazar reads "
            f"'version: {SCHEMA_VERSION}'")

    ck = _Checker(file, base_dir, env)
    ck.mapping(data, data.line, "the file")
    ck.unknown_keys(data, _TOP_KEYS)
    reg = Registry(path=path)
    _load_map(ck, data, reg)
    _load_divisions(ck, data, reg)
    _load_sites(ck, data, reg)
    _load_cameras(ck, data, reg)
    _load_relays(ck, data, reg)
    reg.problems = ck.problems
    return reg


def _items(ck: _Checker, data: _Map, key: str) -> list[tuple[int, Any]]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, _List):
        ck.add(ck.line_of(data, key), f"'{key}' must be a list, got {_type_name(value)}",
               field=key)
        return []
    return list(zip(value.item_lines, value))


def _location(ck: _Checker, m: _Map, key: str, required: bool, within: str | None = None,
              **ctx: Any) -> Location | None:
    """m[key] as {lat, lon}; `within` names the mapping m is in ("recorder") for messages."""
    name = _join(within, key)
    if key not in m or m[key] is None:
        if required:
            ck.add(m.line, f"missing required field '{name}' (lat, lon)", field=name, **ctx)
            return _MISSING
        return None
    loc = ck.mapping(m[key], ck.line_of(m, key), f"'{name}'", field=name, **ctx)
    if loc is None:
        return _MISSING
    ck.unknown_keys(loc, _LOCATION_KEYS, prefix=name, **ctx)
    lat = ck.get(loc, "lat", _number(-90, 90, "°"), required=True, prefix=name, **ctx)
    lon = ck.get(loc, "lon", _number(-180, 180, "°"), required=True, prefix=name, **ctx)
    if lat is _MISSING or lon is _MISSING:
        return _MISSING
    return Location(lat, lon)


IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
_EARLIEST, _LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
MAX_CLOCK_OFFSET_S = 366 * 86400.0


def _date(value: Any) -> dt.date:
    """A calendar date, written YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        s = _text(value)
        try:
            if not _DATE.fullmatch(s):
                raise ValueError
            value = dt.date.fromisoformat(s)
        except ValueError:
            raise _Invalid(f"'{s[:40]}' is not a date: write YYYY-MM-DD, e.g. 2025-01-31") \
                from None
    if not _EARLIEST <= value <= _LATEST:
        raise _Invalid(f"{value.isoformat()} is out of range ({_EARLIEST} to {_LATEST})")
    return value


def _date_time(value: Any) -> dt.datetime:
    """A date and time, "2025-01-31 14:30" or ISO 8601; without a zone it is IST."""
    if not isinstance(value, dt.datetime):
        s = _text(value)
        text = s[:-1] + "+00:00" if s[-1:] in "Zz" else s
        try:
            if not _DATE_TIME.match(text):  # a date alone, or a cut-off time
                raise ValueError
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _Invalid(f"'{s[:40]}' is not a date and time: write YYYY-MM-DD HH:MM "
                           "(IST) or with a zone, e.g. 2025-01-31 14:30+05:30") from None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=IST)
    if not _EARLIEST <= value.date() <= _LATEST:
        raise _Invalid(f"{value.date().isoformat()} is out of range ({_EARLIEST} to "
                       f"{_LATEST})")
    return value


def _recorder_id(value: Any) -> str:
    s = _text(value)
    if not _CAMERA_ID.match(s):
        raise _Invalid(f"'{s[:40]}' is not a valid recorder id (letters, digits, '.', '_' "
                       "and '-')")
    return s


def _recorder(ck: _Checker, m: _Map, reg: Registry, **ctx: Any) -> Recorder | None:
    """A `recorder:` mapping (of a site or a camera). Returns None (none given), the
    Recorder, or _MISSING (problems, each recorded with its line and field)."""
    if m.get("recorder") is None:
        return None
    rec = ck.mapping(m["recorder"], ck.line_of(m, "recorder"), "'recorder'", field="recorder",
                     **ctx)
    if rec is None:
        return _MISSING
    n = len(ck.problems)
    ck.unknown_keys(rec, _RECORDER_KEYS, prefix="recorder", **ctx)

    def get(key: str, check: Callable[[Any], Any], required: bool = False) -> Any:
        return ck.get(rec, key, check, required=required, prefix="recorder", **ctx)

    room = get("room", _text, required=True)
    days = get("retention_days", _int(0, 3650), required=True)
    site = get("site", _slug)
    station = get("station", _slug)
    rid = get("id", _recorder_id)
    make, model, serial = get("make", _text), get("model", _text), get("serial", _text)
    building, level = get("building", _text), get("level", _level)
    verified = get("retention_verified_at", _date)
    offset = get("clock_offset_s", _number(-MAX_CLOCK_OFFSET_S, MAX_CLOCK_OFFSET_S, " s"))
    checked = get("clock_checked_at", _date_time)
    location = _location(ck, rec, "location", required=False, within="recorder", **ctx)
    credentials = _credentials(ck, rec, prefix="recorder", **ctx)
    if site and station and site is not _MISSING and station is not _MISSING:
        ck.add(rec.line, "give either 'site' or 'station' for a recorder, not both",
               field="recorder", **ctx)
    if isinstance(site, str) and site not in reg.sites:
        ck.add(ck.line_of(rec, "site"), f"unknown site '{site}'", field="recorder.site", **ctx)
    if isinstance(station, str) and station not in reg.stations:
        ck.add(ck.line_of(rec, "station"), f"unknown police station '{station}'",
               field="recorder.station", **ctx)
    if isinstance(offset, float) and checked is None:
        ck.add(ck.line_of(rec, "clock_offset_s"), "a clock offset needs 'clock_checked_at' "
               "(when it was measured): a recorder's clock drifts",
               field="recorder.clock_offset_s", **ctx)
    if len(ck.problems) != n:
        return _MISSING
    found = Recorder(room=room, retention_days=days, site=site, station=station, id=rid,
                     make=make, model=model, serial=serial, retention_verified_at=verified,
                     clock_offset_s=offset, clock_checked_at=checked, building=building,
                     level=level, location=location,
                     credentials=credentials if credentials is not _MISSING else None,
                     line=rec.line)
    if rid is not None:
        first = reg.recorders.get(rid)
        if first is None:
            reg.recorders[rid] = found
        elif first != found:
            differ = [f for f in _RECORDER_FIELDS if getattr(first, f) != getattr(found, f)]
            ck.add(ck.line_of(rec, "id"), f"recorder '{rid}' is also declared at line "
                   f"{first.line} with another {', '.join(differ)}: one recorder, one "
                   "description (copy it exactly, or give this one another id)",
                   field="recorder.id", **ctx)
            return _MISSING
        else:
            return first
    return found


_RECORDER_FIELDS = ("room", "retention_days", "site", "station", "make", "model", "serial",
                    "retention_verified_at", "clock_offset_s", "clock_checked_at", "building",
                    "level", "location", "credentials")


FOOTPRINT_MAX_KM = 5.0  # a footprint point this far from the site's location is a mistake


def _footprint(ck: _Checker, s: _Map, site_loc: Any, **ctx: Any) -> Any:
    """A site's outline: a list of at least 3 {lat, lon} points (the first may be repeated
    at the end to close it). Returns None (not given), the points, or _MISSING (problems)."""
    if s.get("footprint") is None:
        return None
    raw, line = s["footprint"], ck.line_of(s, "footprint")
    if not isinstance(raw, _List):
        ck.add(line, "must be a list of at least 3 points {lat, lon}, got "
               f"{_type_name(raw)}", field="footprint", **ctx)
        return _MISSING
    n = len(ck.problems)
    pts: list[Location] = []
    lines: list[int] = []
    for i, (pline, praw) in enumerate(zip(raw.item_lines, raw), start=1):
        fname = f"footprint[{i}]"
        pm = ck.mapping(praw, pline, f"footprint point {i}", field=fname, **ctx)
        if pm is None:
            continue
        ck.unknown_keys(pm, _LOCATION_KEYS, prefix=fname, **ctx)
        lat = ck.get(pm, "lat", _number(-90, 90, "°"), required=True, prefix=fname, **ctx)
        lon = ck.get(pm, "lon", _number(-180, 180, "°"), required=True, prefix=fname, **ctx)
        if lat is not _MISSING and lon is not _MISSING:
            pts.append(Location(lat, lon))
            lines.append(pline)
    if len(ck.problems) != n:
        return _MISSING
    if len(pts) > 3 and pts[-1] == pts[0]:
        pts, lines = pts[:-1], lines[:-1]  # written closed, GeoJSON-style
    if len(pts) < 3:
        ck.add(line, f"a footprint needs at least 3 points, got {len(pts)}",
               field="footprint", **ctx)
        return _MISSING
    if isinstance(site_loc, Location):
        for i, (pt, pline) in enumerate(zip(pts, lines), start=1):
            km = distance_m(site_loc.lat, site_loc.lon, pt.lat, pt.lon) / 1000.0
            if km > FOOTPRINT_MAX_KM:
                ck.add(pline, f"point {i} is {km:.1f} km from the site's location (more than "
                       f"{FOOTPRINT_MAX_KM:g} km; lat and lon swapped?)",
                       field=f"footprint[{i}]", **ctx)
                return _MISSING
    xy = _local_xy(pts)
    if len(set(xy)) < 3:
        ck.add(line, f"a footprint needs at least 3 different points, got {len(set(xy))}",
               field="footprint", **ctx)
        return _MISSING
    crossing = _crossing_edges(xy)
    if crossing:
        a, b = crossing
        ck.add(line, f"the footprint's outline crosses itself (the edge from point {a} "
               f"crosses the edge from point {b}); list the points in order around the "
               "building", field="footprint", **ctx)
        return _MISSING
    area = abs(sum(x0 * y1 - x1 * y0
                   for (x0, y0), (x1, y1) in zip(xy, xy[1:] + xy[:1]))) / 2.0
    if area < 1.0:
        ck.add(line, f"the footprint's points lie on one line (area {area:.1f} m², "
               "less than 1 m²)", field="footprint", **ctx)
        return _MISSING
    return tuple(pts)


def _local_xy(pts: list[Location]) -> list[tuple[float, float]]:
    """Points in metres east/north of the first one (equirectangular; fine for a building).
    Rounded to a centimetre, so that equal points compare equal."""
    lat0, lon0 = pts[0].lat, pts[0].lon
    k = math.cos(math.radians(lat0)) * 111_320.0
    return [(round((p.lon - lon0) * k, 2), round((p.lat - lat0) * 110_574.0, 2)) for p in pts]


_Pt = tuple[float, float]


def _crossing_edges(xy: list[tuple[float, float]]) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that cross (1-based start points), or None."""
    def orient(p: _Pt, q: _Pt, r: _Pt) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def on_segment(p: _Pt, q: _Pt, r: _Pt) -> bool:  # r on segment pq, given the three are collinear
        return (min(p[0], q[0]) <= r[0] <= max(p[0], q[0])
                and min(p[1], q[1]) <= r[1] <= max(p[1], q[1]))

    def cross(p1: _Pt, p2: _Pt, q1: _Pt, q2: _Pt) -> bool:
        d1, d2 = orient(q1, q2, p1), orient(q1, q2, p2)
        d3, d4 = orient(p1, p2, q1), orient(p1, p2, q2)
        if ((d1 > 0) != (d2 > 0) and d1 != 0 and d2 != 0
                and (d3 > 0) != (d4 > 0) and d3 != 0 and d4 != 0):
            return True
        return ((d1 == 0 and on_segment(q1, q2, p1)) or (d2 == 0 and on_segment(q1, q2, p2))
                or (d3 == 0 and on_segment(p1, p2, q1)) or (d4 == 0 and on_segment(p1, p2, q2)))

    n = len(xy)
    edges = [(xy[i], xy[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a point
            if cross(*edges[i], *edges[j]):
                return i + 1, j + 1
    return None


def _load_map(ck: _Checker, data: _Map, reg: Registry) -> None:
    if data.get("map") is None:
        return
    m = ck.mapping(data["map"], ck.line_of(data, "map"), "'map'", field="map", entity="map")
    if m is None:
        return
    ck.unknown_keys(m, _MAP_KEYS, prefix="map", entity="map")

    def tiles_check(value: Any) -> str:
        url = _text(value)
        bad = sorted({c for c in url if c.isspace() or c in "\"'<>;,\\`"})
        if bad:
            raise _Invalid("a tile URL template cannot contain "
                           + " ".join(repr(c) for c in bad))
        if not all(part in url for part in ("{z}", "{x}", "{y}")):
            raise _Invalid("a tile URL template needs {z}, {x} and {y}")
        if not re.match(r"^https?://", url):
            raise _Invalid("a tile URL template must start with http:// or https://")
        return url

    def mbtiles_check(value: Any) -> Path:
        path = Path(_text(value)).expanduser()
        if ck.base_dir is not None and not path.is_absolute():
            path = ck.base_dir / path
        if not path.is_file():
            raise _Invalid(f"tile file not found: {path}")
        return path

    tiles = ck.get(m, "tiles", tiles_check, required=False, prefix="map", entity="map")
    mbtiles = ck.get(m, "mbtiles", mbtiles_check, required=False, prefix="map", entity="map")
    pmtiles = ck.get(m, "pmtiles", mbtiles_check, required=False, prefix="map", entity="map")
    if pmtiles is not None and pmtiles is not _MISSING:
        if mbtiles is not None:
            ck.add(ck.line_of(m, "pmtiles"), "map has both mbtiles and pmtiles: the mbtiles "
                   "file is used", field="map.pmtiles", entity="map")
        else:
            mbtiles = pmtiles
    attribution = ck.get(m, "attribution", _text, required=False, default="", prefix="map",
                         entity="map")
    center = _location(ck, m, "center", required=False, entity="map")
    zoom = ck.get(m, "zoom", _int(1, 20), required=False, default=12, prefix="map",
                  entity="map")
    # A bad map setting falls back to the built-in basemap; the problem is still reported.
    reg.map = MapConfig(tiles=None if tiles is _MISSING else tiles,
                        mbtiles=None if mbtiles is _MISSING else mbtiles,
                        attribution="" if attribution is _MISSING else attribution,
                        center=None if center is _MISSING else center,
                        zoom=12 if zoom is _MISSING else zoom)


def _load_divisions(ck: _Checker, data: _Map, reg: Registry) -> None:
    division_lines: dict[str, int] = {}  # id -> line of its first definition
    station_lines: dict[str, int] = {}
    for line, raw in _items(ck, data, "divisions"):
        d = ck.mapping(raw, line, "a division", entity="division")
        if d is None:
            continue
        did = ck.get(d, "id", _slug, required=True, entity="division")
        ent = f"division {did}" if isinstance(did, str) else "division"
        ck.unknown_keys(d, _DIVISION_KEYS, entity=ent)
        name = ck.get(d, "name", _text, required=True, entity=ent)
        if did is _MISSING or name is _MISSING:
            continue
        duplicate = did in division_lines
        if duplicate:
            # Its stations are not lost: they join the division first defined with this id.
            ck.add(d.key_lines.get("id", d.line),
                   f"duplicate division id '{did}' (first defined at line "
                   f"{division_lines[did]}); its name is ignored and its stations are added "
                   "to that division", field="id", entity=ent)
        else:
            division_lines[did] = d.key_lines.get("id", d.line)
        station_ids: list[str] = list(reg.divisions[did].stations) if duplicate else []
        for sline, sraw in _items(ck, d, "stations"):
            s = ck.mapping(sraw, sline, "a police station", entity=f"{ent} station")
            if s is None:
                continue
            sid = ck.get(s, "id", _slug, required=True, entity=f"{ent} station")
            sent = f"station {sid}" if isinstance(sid, str) else f"{ent} station"
            ck.unknown_keys(s, _STATION_KEYS, entity=sent)
            sname = ck.get(s, "name", _text, required=True, entity=sent)
            loc = _location(ck, s, "location", required=False, entity=sent)
            phone = ck.get(s, "phone", _text, required=False, entity=sent)
            if sid is _MISSING or sname is _MISSING:
                continue
            if sid in station_lines:
                ck.add(s.key_lines.get("id", s.line),
                       f"duplicate police station id '{sid}' (first defined at line "
                       f"{station_lines[sid]}); this one is skipped", field="id", entity=sent)
                continue
            station_lines[sid] = s.key_lines.get("id", s.line)
            reg.stations[sid] = Station(sid, sname, did,
                                        None if loc is _MISSING else loc,
                                        None if phone is _MISSING else phone)
            station_ids.append(sid)
        reg.divisions[did] = Division(did, reg.divisions[did].name if duplicate else name,
                                      tuple(station_ids))


def _load_sites(ck: _Checker, data: _Map, reg: Registry) -> None:
    site_lines: dict[str, int] = {}  # id -> line of its first definition
    for line, raw in _items(ck, data, "sites"):
        s = ck.mapping(raw, line, "a site", entity="site")
        if s is None:
            continue
        n = len(ck.problems)
        sid = ck.get(s, "id", _slug, required=True, entity="site")
        ent = f"site {sid}" if isinstance(sid, str) else "site"
        ck.unknown_keys(s, _SITE_KEYS, entity=ent)
        name = ck.get(s, "name", _text, required=True, entity=ent)
        kind = ck.get(s, "kind", _choice(SITE_KINDS), required=True, entity=ent)
        station = ck.get(s, "station", _slug, required=True, entity=ent)
        if isinstance(station, str) and station not in reg.stations:
            ck.add(ck.line_of(s, "station"), f"unknown police station '{station}'",
                   field="station", entity=ent)
        owner = ck.get(s, "owner", _text, required=True, entity=ent)
        address = ck.get(s, "address", _text, required=True, entity=ent)
        loc = _location(ck, s, "location", required=True, entity=ent)
        assert loc is not None  # required: a missing location is a problem (_MISSING), not None
        contact = _MISSING
        if s.get("contact") is None:
            ck.add(s.line, "missing required field 'contact' (name, phone: who answers 24x7)",
                   field="contact", entity=ent)
        else:
            c = ck.mapping(s["contact"], ck.line_of(s, "contact"), "'contact'", field="contact",
                           entity=ent)
            if c is not None:
                ck.unknown_keys(c, _CONTACT_KEYS, prefix="contact", entity=ent)
                cname = ck.get(c, "name", _text, required=True, prefix="contact", entity=ent)
                phone = ck.get(c, "phone", _text, required=True, prefix="contact", entity=ent)
                if cname is not _MISSING and phone is not _MISSING:
                    contact = Contact(cname, phone)
        if isinstance(sid, str) and sid in site_lines:
            ck.add(s.key_lines.get("id", s.line),
                   f"duplicate site id '{sid}' (first defined at line {site_lines[sid]}); "
                   "this one is skipped", field="id", entity=ent)
            continue
        if isinstance(sid, str):
            site_lines[sid] = s.key_lines.get("id", s.line)
        recorder = _recorder(ck, s, reg, entity=ent)
        footprint = _footprint(ck, s, loc, entity=ent)
        if len(ck.problems) != n:
            continue  # a site with problems is left out; its cameras then report it
        reg.sites[sid] = Site(sid, name, kind, station, owner, contact, address, loc, recorder,
                              footprint)


def _streams(ck: _Checker, m: _Map, cam: str) -> tuple[Source, Source | None] | None:
    if m.get("streams") is None:
        ck.add(m.line, "missing required field 'streams' (main, and optionally sub)",
               field="streams", camera=cam)
        return None
    st = ck.mapping(m["streams"], ck.line_of(m, "streams"), "'streams'", field="streams",
                    camera=cam)
    if st is None:
        return None
    ck.unknown_keys(st, _STREAM_KEYS, prefix="streams", camera=cam)

    def source(value: Any) -> Source:
        try:
            return parse_source(value, ck.base_dir, ck.env)
        except UrlError as exc:
            raise _Invalid(f"bad stream address: {exc}") from None

    main = ck.get(st, "main", source, required=True, prefix="streams", camera=cam)
    sub = ck.get(st, "sub", source, required=False, prefix="streams", camera=cam)
    if main is _MISSING or sub is _MISSING:
        return None
    return main, sub


def _credentials(ck: _Checker, m: _Map, prefix: str | None = None, **ctx: Any) -> Any:
    """A `credentials: {keyring: SERVICE, username: USER}` mapping: None (not given), the
    Credentials (with the line it is declared at), or _MISSING (problems)."""
    if m.get("credentials") is None:
        return None
    fname = _join(prefix, "credentials")
    line = ck.line_of(m, "credentials")
    cm = ck.mapping(m["credentials"], line, f"'{fname}'", field=fname, **ctx)
    if cm is None:
        return _MISSING
    n = len(ck.problems)
    ck.unknown_keys(cm, _CREDENTIALS_KEYS, prefix=fname, **ctx)
    service = ck.get(cm, "keyring", _text, required=True, prefix=fname, **ctx)
    username = ck.get(cm, "username", _text, required=True, prefix=fname, **ctx)
    if len(ck.problems) != n:
        return _MISSING
    return Credentials(service, username, line=line)


def _with_credentials(ck: _Checker, c: _Map, cam: str, streams: tuple[Source, Source | None],
                      own: Credentials | None,
                      recorder: Any) -> tuple[Source, Source | None] | None:
    """The camera's stream addresses with the login from the keyring: the camera's own
    `credentials`, else its recorder's. A camera whose address has a user in it keeps that
    one over its recorder's (but giving both in the camera itself is a problem). None: a
    problem was recorded (no password, no keyring...), naming the camera and the line."""
    cred = own or (recorder.credentials if isinstance(recorder, Recorder) else None)
    if cred is None:
        return streams
    fname = "credentials" if own else "recorder.credentials"
    out: list[Source | None] = []
    for src in streams:
        if src is None:
            out.append(None)
            continue
        if own is None and "@" in src.display.split("://", 1)[-1].split("/", 1)[0]:
            out.append(src)  # the camera's own user in its address: kept
            continue
        try:
            password = ck.password(cred)
            url = with_login(src.url, cred.username, password)
            display = mask(with_login(src.display, cred.username, "x"))
        except CredentialError as exc:
            ck.add(cred.line, str(exc), field=fname, camera=cam)
            return None
        except ValueError as exc:  # not a network address, or a user in it already
            ck.add(cred.line, str(exc), field=fname, camera=cam)
            return None
        out.append(Source(src.kind, url, display))
    main, sub = out
    assert main is not None
    return main, sub


def _load_cameras(ck: _Checker, data: _Map, reg: Registry) -> None:
    seen_lines: dict[str, int] = {}
    numbers_seen: dict[int, str] = {}
    for line, raw in _items(ck, data, "cameras"):
        if len(reg.cameras) >= MAX_CAMERAS:
            ck.add(line, f"more than {MAX_CAMERAS} cameras: this one and the rest are not "
                   "loaded", field="cameras", entity="cameras")
            break
        c = ck.mapping(raw, line, "a camera", camera=f"#{len(seen_lines) + 1} (line {line})")
        if c is None:
            reg.skipped.append(f"line {line}")
            continue
        n = len(ck.problems)
        cid = ck.get(c, "id", _camera_id, required=True, camera=f"at line {c.line}")
        cam = cid if isinstance(cid, str) else f"at line {c.line}"
        ck.unknown_keys(c, _CAMERA_KEYS, camera=cam)
        if isinstance(cid, str) and cid in seen_lines:
            ck.add(c.key_lines.get("id", c.line),
                   f"duplicate camera id '{cid}' (first defined at line {seen_lines[cid]}); "
                   "this one is skipped", field="id", camera=cam)
            reg.skipped.append(cid)
            continue
        if isinstance(cid, str):
            seen_lines[cid] = c.line
        name = ck.get(c, "name", _text, required=True, camera=cam)
        ownership = ck.get(c, "ownership", _choice(OWNERSHIPS), required=True, camera=cam)
        station = ck.get(c, "station", _slug, required=ownership == "police", camera=cam)
        site = ck.get(c, "site", _slug, required=ownership == "private", camera=cam)
        if isinstance(site, str) and site not in reg.sites:
            ck.add(ck.line_of(c, "site"), f"unknown site '{site}'", field="site", camera=cam)
        if isinstance(station, str) and station not in reg.stations:
            ck.add(ck.line_of(c, "station"), f"unknown police station '{station}'",
                   field="station", camera=cam)
        if station is None and isinstance(site, str) and site in reg.sites:
            station = reg.sites[site].station
        loc = _location(ck, c, "location", required=True, camera=cam)
        assert loc is not None  # required: a missing location is a problem (_MISSING), not None
        coverage = None
        if c.get("coverage") is not None:
            cv = ck.mapping(c["coverage"], ck.line_of(c, "coverage"), "'coverage'",
                            field="coverage", camera=cam)
            if cv is not None:
                ck.unknown_keys(cv, _COVERAGE_KEYS, prefix="coverage", camera=cam)
                bearing = ck.get(cv, "bearing", _number(0, 360, "°"), required=True,
                                 prefix="coverage", camera=cam)
                fov = ck.get(cv, "fov", _number(1, 360, "°"), required=True,
                             prefix="coverage", camera=cam)
                rng = ck.get(cv, "range_m", _number(1, 5000, " m"), required=True,
                             prefix="coverage", camera=cam)
                if _MISSING not in (bearing, fov, rng):
                    coverage = Coverage(bearing % 360.0, fov, rng)
        streams = _streams(ck, c, cam)
        recorder = _recorder(ck, c, reg, camera=cam)
        if recorder is None and isinstance(site, str) and site in reg.sites:
            recorder = reg.sites[site].recorder
        credentials = _credentials(ck, c, camera=cam)
        if streams is not None and credentials is not _MISSING:
            streams = _with_credentials(ck, c, cam, streams, credentials, recorder)
        # `level` is the storey; `floor` is its old name (free text), still read.
        level = ck.get(c, "level", _level, required=False, camera=cam)
        old_floor = ck.get(c, "floor", _text, required=False, camera=cam)
        if c.get("level") is not None and c.get("floor") is not None:
            ck.add(ck.line_of(c, "floor"), "give 'level' or its old name 'floor', not both",
                   field="floor", camera=cam)
        elif level is None:
            level = old_floor
        indoor = ck.get(c, "indoor", _bool, required=False, default=None, camera=cam)
        ptz = ck.get(c, "ptz", _bool, required=False, default=False, camera=cam)
        accuracy = ck.get(c, "position_accuracy_m", _number(0, 5000, " m"), required=False,
                          default=0.0, camera=cam)
        access = ck.get(c, "access", _choice(ACCESS), required=False, default="always",
                        camera=cam)
        if access == "incident_only" and ownership == "police":
            ck.add(ck.line_of(c, "access"), "'incident_only' is only for private cameras "
                   "(a police camera is always available)", field="access", camera=cam)

        def tags_check(value: Any) -> tuple[str, ...]:
            if not isinstance(value, list):
                raise _Invalid(f"must be a list of words, got {_type_name(value)}")
            return tuple(_text(v) for v in value)

        tags = ck.get(c, "tags", tags_check, required=False, default=(), camera=cam)
        number = ck.get(c, "number", _int(1, 999_999), required=False, default=0, camera=cam)
        if isinstance(number, int) and number and number in numbers_seen:
            ck.add(ck.line_of(c, "number"), f"camera number {number} is already used by "
                   f"camera {numbers_seen[number]}", field="number", camera=cam)
        if len(ck.problems) != n or streams is None:
            reg.skipped.append(cam)
            continue
        if number:
            numbers_seen[number] = cid
        reg.cameras[cid] = Camera(cid, name, ownership, station, site, loc, coverage,
                                  streams[0], streams[1], recorder, level, tags, c.line, number,
                                  indoor=indoor, ptz=ptz, position_accuracy_m=accuracy,
                                  access=access)
    _number_cameras(reg)


def _load_relays(ck: _Checker, data: _Map, reg: Registry) -> None:
    """`relays:` (after the cameras: what a relay serves must exist). A relay with a problem
    is left out (its cameras are opened directly); an unknown name in `serves` is reported
    and ignored."""
    for line, raw in _items(ck, data, "relays"):
        r = ck.mapping(raw, line, "a relay", entity="relay")
        if r is None:
            continue
        n = len(ck.problems)
        rid = ck.get(r, "id", _slug, required=True, entity="relay")
        ent = f"relay {rid}" if isinstance(rid, str) else "relay"
        ck.unknown_keys(r, _RELAY_KEYS, entity=ent)
        if isinstance(rid, str) and rid in reg.relays:
            ck.add(ck.line_of(r, "id"), f"duplicate relay id '{rid}'", field="id", entity=ent)
            continue
        name = ck.get(r, "name", _text, required=False, default=rid, entity=ent)

        def address_check(value: Any) -> tuple[str, int]:
            text = _text(value)
            m = re.fullmatch(r"rtsp://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})/?", text)
            if "@" in text:
                raise _Invalid("no user or password in the address: give them as 'user' and "
                               "'password' (with ${ENV})")
            if m is None or not 0 < int(m.group(2)) < 65536:
                raise _Invalid(f"'{text[:60]}' is not rtsp://HOST:PORT (e.g. "
                               "rtsp://10.20.0.5:8654)")
            return m.group(1).strip("[]"), int(m.group(2))

        def secret(value: Any) -> str:
            try:
                return substitute_env(_text(value), ck.env)
            except UrlError as exc:
                raise _Invalid(str(exc)) from None

        address = ck.get(r, "address", address_check, required=True, entity=ent)
        user = ck.get(r, "user", secret, required=False, default=None, entity=ent)
        password = ck.get(r, "password", secret, required=False, default=None, entity=ent)
        if (user is None) != (password is None) and _MISSING not in (user, password):
            ck.add(r.line, "give 'user' and 'password' together (or neither)", entity=ent)
        served: dict[str, tuple[str, ...]] = {"divisions": (), "sites": (), "cameras": ()}
        sv = ck.mapping(r.get("serves"), ck.line_of(r, "serves"), "'serves'", field="serves",
                        entity=ent) if r.get("serves") is not None else None
        if r.get("serves") is None:
            ck.add(r.line, "missing required field 'serves' (divisions, sites and/or cameras)",
                   field="serves", entity=ent)
        if sv is not None:
            ck.unknown_keys(sv, _SERVES_KEYS, prefix="serves", entity=ent)
            known: dict[str, dict[str, Any]] = {"divisions": reg.divisions,
                                                "sites": reg.sites, "cameras": reg.cameras}
            for key in _SERVES_KEYS:
                items = _items(ck, sv, key)
                ids = []
                for iline, item in items:
                    text = item if isinstance(item, str) else None
                    table: dict[str, Any] = known[key]
                    if text is None or text not in table:
                        ck.add(iline, f"'serves.{key}': unknown {key[:-1]} "
                               f"'{str(item)[:40]}' (ignored)", field=f"serves.{key}",
                               entity=ent)
                        continue
                    ids.append(text)
                served[key] = tuple(ids)
            if not any(served.values()) and len(ck.problems) == n:
                ck.add(ck.line_of(r, "serves"), "serves nothing: list divisions, sites or "
                       "cameras", field="serves", entity=ent)
        # Unknown names in `serves` are dropped; unresolved login variables leave the relay
        # without a login (a hub does not need the consoles' logins; a console is refused
        # by its hub and opens the camera directly, saying why).
        tolerated = ("serves.", "user", "password")
        bad = [p for p in ck.problems[n:] if not (p.field or "").startswith(tolerated)]
        if bad or _MISSING in (rid, address) or not any(served.values()):
            continue
        if _MISSING in (user, password):
            user = password = None
        host, port = address
        reg.relays[rid] = Relay(rid, name, host, port, user, password, served["divisions"],
                                served["sites"], served["cameras"], r.line)


def _number_cameras(reg: Registry) -> None:
    """Cameras without a `number` get the next free one, in file order, counting from 1."""
    taken = {c.number for c in reg.cameras.values() if c.number}
    nxt = 1
    for cid, cam in list(reg.cameras.items()):
        if cam.number:
            continue
        while nxt in taken:
            nxt += 1
        reg.cameras[cid] = replace(cam, number=nxt)
        taken.add(nxt)
