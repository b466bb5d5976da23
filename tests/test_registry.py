"""The registry loader: every error case names the file, line, camera and field."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import labels
from app.registry import RegistryFileError, load_registry
from tests.conftest import DEMO_REGISTRY, camera_yaml, registry_text

GOOD_POLICE = """\
  - id: KP-1
    name: Park Street x Chowringhee
    ownership: police
    station: park-street
    location: {lat: 22.553, lon: 88.351}
    coverage: {bearing: 10, fov: 80, range_m: 100}
    streams: {main: "demo://junction", sub: "demo://junction?size=sub"}
"""
GOOD_PRIVATE = """\
  - id: SCM-04
    name: South City Mall food court 4F
    ownership: private
    site: south-city-mall
    location: {lat: 22.5014, lon: 88.3616}
    streams: {main: "demo://foodcourt"}
"""


def load(write_yaml, cameras: str, **kw):
    return load_registry(write_yaml(registry_text(GOOD_POLICE + cameras, **kw)))


def only_problem(reg):
    assert len(reg.problems) == 1, [str(p) for p in reg.problems]
    return reg.problems[0]


def test_valid_registry_loads_typed_objects(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE)
    assert reg.problems == []
    assert set(reg.cameras) == {"KP-1", "SCM-04"}
    kp = reg.cameras["KP-1"]
    assert kp.is_police and kp.station == "park-street" and kp.site is None
    assert kp.location.lat == pytest.approx(22.553)
    assert kp.coverage.fov == 80 and kp.coverage.range_m == 100
    assert kp.main.kind == "demo" and kp.sub is not None
    scm = reg.cameras["SCM-04"]
    # A private camera takes its site's police station and recorder.
    assert scm.station == "jadavpur"
    assert scm.recorder.room == "B1 security room" and scm.recorder.retention_days == 30
    assert reg.stations["park-street"].division == "south"
    assert labels.place_of(reg, scm) == "South City Mall"
    assert labels.place_of(reg, kp) == "Park Street PS"


def test_unknown_key_is_reported_with_line_and_suggestion(write_yaml):
    cams = GOOD_PRIVATE.replace("    location:", "    locaton: {lat: 1, lon: 2}\n    location:")
    reg = load(write_yaml, cams)
    p = only_problem(reg)
    assert p.camera == "SCM-04" and p.field == "locaton"
    assert "did you mean 'location'" in p.message
    text = Path(p.file).read_text().splitlines()
    assert "locaton" in text[p.line - 1]
    assert "SCM-04" not in reg.cameras and reg.skipped == ["SCM-04"]
    assert "KP-1" in reg.cameras  # the rest still runs


def test_duplicate_id_keeps_the_first(write_yaml):
    dup = GOOD_POLICE.replace("Park Street x Chowringhee", "Second one")
    reg = load(write_yaml, dup)
    p = only_problem(reg)
    assert p.field == "id" and p.camera == "KP-1" and "duplicate camera id" in p.message
    assert "first defined at line" in p.message
    assert reg.cameras["KP-1"].name == "Park Street x Chowringhee"



def test_duplicate_division_station_and_site_ids_are_named_and_nothing_valid_is_lost(
        write_yaml):
    """Division, police-station and site ids are unique, as camera ids: a second definition
    is a problem naming the file, its line, the id and the first definition's line. The first
    one is kept; a repeated division's own (unique) stations are kept too."""
    text = """\
version: 1
divisions:
  - id: south
    name: South
    stations:
      - {id: park-street, name: Park Street}
  - id: north
    name: North
    stations:
      - {id: shyampukur, name: Shyampukur}
  - id: south
    name: South again
    stations:
      - {id: gariahat, name: Gariahat}
      - {id: park-street, name: Park Street twice}
      - {id: shyampukur, name: Shyampukur twice}
sites:
  - id: south-city-mall
    name: South City Mall
    kind: mall
    station: park-street
    owner: Owner
    contact: {name: Control room, phone: "1"}
    address: Address
    location: {lat: 22.5014, lon: 88.3616}
    recorder: {room: B1, retention_days: 30}
  - id: south-city-mall
    name: Another mall
    kind: mall
    station: gariahat
    owner: Owner
    contact: {name: Control room, phone: "2"}
    address: Address
    location: {lat: 22.51, lon: 88.37}
    recorder: {room: B2, retention_days: 30}
cameras:
  - {id: C-1, name: One, ownership: police, station: gariahat,
     location: {lat: 22.52, lon: 88.36}, streams: {main: "demo://junction"}}
  - {id: C-2, name: Two, ownership: private, site: south-city-mall,
     location: {lat: 22.50, lon: 88.36}, streams: {main: "demo://atrium"}}
  - {id: C-3, name: Three, ownership: police, station: shyampukur,
     location: {lat: 22.60, lon: 88.37}, streams: {main: "demo://street"}}
"""
    path = write_yaml(text)
    reg = load_registry(path)
    lines = text.splitlines()

    def line_of(fragment: str, nth: int = 0) -> int:
        return [i for i, line in enumerate(lines, 1) if fragment in line][nth]

    found = {(p.field, p.entity): p for p in reg.problems}
    assert len(reg.problems) == 4, [str(p) for p in reg.problems]
    expected = [  # entity, message start, the duplicate's line, the first one's line
        ("division south", "duplicate division id 'south'", line_of("- id: south", 1),
         line_of("- id: south")),
        ("station park-street", "duplicate police station id 'park-street'",
         line_of("{id: park-street", 1), line_of("{id: park-street")),
        ("station shyampukur", "duplicate police station id 'shyampukur'",
         line_of("{id: shyampukur", 1), line_of("{id: shyampukur")),
        ("site south-city-mall", "duplicate site id 'south-city-mall'",
         line_of("- id: south-city-mall", 1), line_of("- id: south-city-mall")),
    ]
    for entity, message, line, first in expected:
        p = found[("id", entity)]
        assert p.file == str(path) and p.line == line, str(p)
        assert p.message.startswith(message), str(p)
        assert f"first defined at line {first}" in p.message, str(p)
        assert str(p).startswith(f"{path}:{line}: {entity} field 'id': {message}")
    # The first definitions are the ones kept ...
    assert reg.divisions["south"].name == "South"
    assert reg.stations["park-street"].name == "Park Street"
    assert reg.stations["shyampukur"].division == "north"
    assert reg.sites["south-city-mall"].name == "South City Mall"
    # ... and nothing valid is lost: the repeated division's new station, every camera.
    assert reg.divisions["south"].stations == ("park-street", "gariahat")
    assert reg.stations["gariahat"].division == "south"
    assert set(reg.cameras) == {"C-1", "C-2", "C-3"} and reg.skipped == []
    assert reg.cameras["C-1"].station == "gariahat"
    assert reg.cameras["C-2"].station == "park-street"  # the first site's station

@pytest.mark.parametrize("loc, field, words", [
    ("{lat: 95.0, lon: 88.3}", "location.lat", "out of range"),
    ("{lat: 22.5, lon: -200}", "location.lon", "out of range"),
    ("{lat: 22.5}", "location.lon", "missing required field"),
    ("{lat: north, lon: 88.3}", "location.lat", "must be a number"),
    ("[22.5, 88.3]", "location", "must be a mapping"),
])
def test_bad_coordinates(write_yaml, loc, field, words):
    reg = load(write_yaml, GOOD_PRIVATE.replace("{lat: 22.5014, lon: 88.3616}", loc))
    p = only_problem(reg)
    assert (p.camera, p.field) == ("SCM-04", field)
    assert words in p.message


def test_missing_location(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE.replace("    location: {lat: 22.5014, lon: 88.3616}\n", ""))
    p = only_problem(reg)
    assert p.field == "location" and "missing required field" in p.message


@pytest.mark.parametrize("url, words", [
    ("ftp://10.0.0.1/x", "unsupported scheme 'ftp://'"),
    ("rtsp:///nohost", "no host"),
    ("rtsp://10.0.0.1:99999/x", "bad port"),
    ("", "non-empty"),
    ("demo://", "needs a scene"),
    ("rtsp://viewer:${NAZAR_TEST_UNSET_PW}@10.0.0.1/ch1", "${NAZAR_TEST_UNSET_PW} is not set"),
])
def test_bad_stream_urls(write_yaml, url, words):
    reg = load(write_yaml, GOOD_PRIVATE.replace('"demo://foodcourt"', f'"{url}"'))
    p = only_problem(reg)
    assert (p.camera, p.field) == ("SCM-04", "streams.main")
    assert words in p.message


def test_env_substitution_and_masking(write_yaml, monkeypatch):
    monkeypatch.setenv("NAZAR_TEST_PW", "s3cret!")
    cams = GOOD_PRIVATE.replace('"demo://foodcourt"',
                                '"rtsp://viewer:${NAZAR_TEST_PW}@10.0.0.1:554/ch1"')
    reg = load(write_yaml, cams)
    assert reg.problems == []
    src = reg.cameras["SCM-04"].main
    assert src.url == "rtsp://viewer:s3cret!@10.0.0.1:554/ch1"
    assert "s3cret" not in src.display and src.display == "rtsp://viewer:***@10.0.0.1:554/ch1"


def test_unknown_station_and_site(write_yaml):
    cams = GOOD_PRIVATE.replace("site: south-city-mall", "site: quest-mall") + \
        GOOD_POLICE.replace("KP-1", "KP-2").replace("station: park-street", "station: lake")
    reg = load(write_yaml, cams)
    msgs = {(p.camera, p.field): p.message for p in reg.problems}
    assert msgs[("SCM-04", "site")] == "unknown site 'quest-mall'"
    assert msgs[("KP-2", "station")] == "unknown police station 'lake'"
    assert set(reg.cameras) == {"KP-1"}
    assert set(reg.skipped) == {"SCM-04", "KP-2"}


def test_required_fields_by_ownership(write_yaml):
    police_no_station = GOOD_POLICE.replace("KP-1", "KP-3").replace(
        "    station: park-street\n", "")
    private_no_site = GOOD_PRIVATE.replace("    site: south-city-mall\n", "")
    reg = load(write_yaml, police_no_station + private_no_site)
    got = {(p.camera, p.field) for p in reg.problems}
    assert got == {("KP-3", "station"), ("SCM-04", "site")}


def test_bad_ownership_coverage_and_types(write_yaml):
    cams = (GOOD_PRIVATE.replace("ownership: private", "ownership: mall")
            + GOOD_POLICE.replace("KP-1", "KP-4").replace("bearing: 10", "bearing: 400")
            + GOOD_POLICE.replace("KP-1", "KP-5").replace("fov: 80", "fov: wide")
            + GOOD_POLICE.replace("KP-1", "KP-6").replace(
                "name: Park Street x Chowringhee", "name: [a, b]"))
    reg = load(write_yaml, cams)
    got = {(p.camera, p.field): p.message for p in reg.problems}
    assert "'mall' is not one of: police, private" in got[("SCM-04", "ownership")]
    assert "out of range" in got[("KP-4", "coverage.bearing")]
    assert "must be a number" in got[("KP-5", "coverage.fov")]
    assert "must be text" in got[("KP-6", "name")]
    assert set(reg.cameras) == {"KP-1"}


def test_duplicate_yaml_key_is_reported(write_yaml):
    cams = GOOD_PRIVATE.replace("    ownership: private\n",
                                "    ownership: private\n    name: Another name\n")
    reg = load(write_yaml, cams)
    p = only_problem(reg)
    assert p.field == "name" and "duplicate key 'name'" in p.message


def test_every_problem_is_collected_at_once(write_yaml):
    cams = GOOD_PRIVATE.replace("site: south-city-mall", "site: nowhere").replace(
        "lat: 22.5014", "lat: 99").replace('"demo://foodcourt"', '"ftp://x"')
    reg = load(write_yaml, cams)
    assert {p.field for p in reg.problems} == {"site", "location.lat", "streams.main"}
    assert all(p.camera == "SCM-04" for p in reg.problems)
    lines = sorted(p.line for p in reg.problems)
    assert len(set(lines)) == 3  # each on its own line


def test_problem_text_names_file_line_camera_field(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE.replace("lat: 22.5014", "lat: 99"))
    text = str(only_problem(reg))
    assert text.startswith(f"{reg.path}:")
    assert "camera SCM-04 field 'location.lat'" in text


def test_bad_site_is_reported_and_its_cameras_skipped(write_yaml):
    sites = """\
  - id: south-city-mall
    name: South City Mall
    kind: shopping
    station: jadavpur
    owner: Demo Owner
    address: somewhere
    location: {lat: 22.5014, lon: 88.3616}
"""
    reg = load_registry(write_yaml(registry_text(GOOD_POLICE + GOOD_PRIVATE, sites=sites)))
    by_field = {(p.entity, p.field): p.message for p in reg.problems if p.entity}
    assert "'shopping' is not one of" in by_field[("site south-city-mall", "kind")]
    assert "missing required field 'contact'" in by_field[("site south-city-mall", "contact")]
    assert ("SCM-04", "site") in {(p.camera, p.field) for p in reg.problems}
    assert set(reg.cameras) == {"KP-1"}


def test_unknown_top_level_key(write_yaml):
    reg = load_registry(write_yaml(registry_text(GOOD_POLICE, extra_top="camras: []\n")))
    p = only_problem(reg)
    assert p.field == "camras" and "did you mean 'cameras'" in p.message


@pytest.mark.parametrize("text, words", [
    ("version: 1\ncameras: [\n  - id: x\n", "not valid YAML"),
    ("- just\n- a list\n", "top level must be a mapping"),
    ("version: 2\ncameras: []\n", "unsupported registry version 2"),
    ("cameras: []\n", "unsupported registry version None"),
])
def test_unparseable_files_raise_a_clear_error(write_yaml, text, words):
    path = write_yaml(text)
    with pytest.raises(RegistryFileError) as info:
        load_registry(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_yaml_syntax_error_names_line_and_column(write_yaml):
    path = write_yaml("version: 1\ncameras:\n  - id: x\n   name: bad indent\n")
    with pytest.raises(RegistryFileError, match=r"cameras\.yaml:4:\d+: not valid YAML"):
        load_registry(path)


def test_missing_file():
    with pytest.raises(RegistryFileError, match="file not found"):
        load_registry("/nonexistent/cameras.yaml")


def test_relative_file_source_resolves_next_to_the_registry(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE.replace('"demo://foodcourt"', '"clips/mall.mp4"'))
    src = reg.cameras["SCM-04"].main
    assert src.kind == "file" and src.path == Path(reg.path).parent.resolve() / "clips/mall.mp4"


def test_default_view_mixes_police_and_private(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE)
    assert reg.default_view(2) == ["KP-1", "SCM-04"]


# -- the bundled demo registry ------------------------------------------------------------------
def test_bundled_demo_registry_is_valid_and_realistic():
    reg = load_registry(DEMO_REGISTRY)
    assert reg.problems == [], "\n".join(str(p) for p in reg.problems[:20])
    assert len(reg.cameras) >= 150
    assert len(reg.divisions) >= 9 and len(reg.stations) >= 69
    kinds = {}
    for site in reg.sites.values():
        kinds[site.kind] = kinds.get(site.kind, 0) + 1
    malls = [s for s in reg.sites.values() if s.kind in ("mall", "multiplex")
             and reg.cameras_of_site(s.id)]
    assert len(malls) >= 6
    assert kinds.get("bank", 0) >= 1 and kinds.get("petrol_pump", 0) >= 1
    police = [c for c in reg.cameras.values() if c.is_police]
    private = [c for c in reg.cameras.values() if not c.is_police]
    assert police and private
    assert all(c.recorder is not None for c in private)
    assert all(c.main.kind == "demo" for c in reg.cameras.values())
    text = DEMO_REGISTRY.read_text(encoding="utf-8")
    assert "DEMO" in text.upper()[:2000] and "approx" in text.lower()[:4000]
    names = " ".join(c.name for c in reg.cameras.values())
    assert "South City" in names and "Acropolis" in names


def test_map_section(write_yaml, tmp_path):
    mb = tmp_path / "kolkata.mbtiles"
    mb.write_bytes(b"")
    top = ("map:\n  tiles: http://tiles.intranet/{z}/{x}/{y}.png\n  mbtiles: kolkata.mbtiles\n"
           "  center: {lat: 22.57, lon: 88.36}\n  zoom: 13\n")
    reg = load_registry(write_yaml(registry_text(GOOD_POLICE, extra_top=top)))
    assert reg.problems == []
    assert reg.map.tiles == "http://tiles.intranet/{z}/{x}/{y}.png"
    assert reg.map.mbtiles == mb and reg.map.zoom == 13 and reg.map.center.lat == 22.57
    bad = "map:\n  tiles: http://tiles.intranet/tile.png\n  mbtiles: missing.mbtiles\n"
    reg = load_registry(write_yaml(registry_text(GOOD_POLICE, extra_top=bad)))
    got = {p.field: p.message for p in reg.problems}
    assert "needs {z}, {x} and {y}" in got["map.tiles"]
    assert "tile file not found" in got["map.mbtiles"]
    assert reg.map.tiles is None and reg.map.mbtiles is None  # falls back to built-in
    assert "KP-1" in reg.cameras


def test_camera_numbers_explicit_and_automatic(write_yaml):
    cams = (GOOD_PRIVATE.replace("    ownership: private\n", "    ownership: private\n    number: 1\n")
            + GOOD_POLICE.replace("KP-1", "KP-2")
            + GOOD_POLICE.replace("KP-1", "KP-3").replace(
                "    ownership: police\n", "    ownership: police\n    number: 1\n"))
    reg = load(write_yaml, cams)
    p = only_problem(reg)
    assert (p.camera, p.field) == ("KP-3", "number") and "already used by camera SCM-04" in p.message
    assert reg.cameras["SCM-04"].number == 1
    assert {reg.cameras["KP-1"].number, reg.cameras["KP-2"].number} == {2, 3}
    assert reg.by_number(1).id == "SCM-04" and reg.by_number(99) is None


# -- alarm-mode fields: level, indoor, ptz, position_accuracy_m, access, site footprint ----------
def _with(cam: str, line: str) -> str:
    """`cam` with one more line (e.g. '    level: L4') after its ownership line."""
    return cam.replace("    ownership:", f"{line}\n    ownership:", 1)


def _problem_at(reg, text: str, camera: str, field: str) -> str:
    p = only_problem(reg)
    assert (p.camera, p.field) == (camera, field)
    assert Path(p.file).name == "cameras.yaml"
    assert field.split(".")[0].split("[")[0] in text.splitlines()[p.line - 1]
    assert f"camera {camera} field '{field}'" in str(p)
    return p.message


@pytest.mark.parametrize("yaml_value, stored", [
    ("L4", "L4"), ("B1", "B1"), ("G", "G"), ("4", "4"), ("-1", "-1"), ('"4F"', "4F"),
    ("UG 2", "UG 2"),
])
def test_level_good_values(write_yaml, yaml_value, stored):
    reg = load(write_yaml, _with(GOOD_PRIVATE, f"    level: {yaml_value}"))
    assert reg.problems == []
    assert reg.cameras["SCM-04"].level == stored
    assert reg.cameras["SCM-04"].floor == stored  # the old attribute name still reads


@pytest.mark.parametrize("yaml_value, words", [
    ("4.5", "must be a whole number or short text"),
    ("999", "out of range"),
    ("[4]", "must be text"),
    ('"level four of the east wing"', "is not a level"),
    ('"#4"', "is not a level"),
    ("true", "must be text"),
])
def test_level_bad_values(write_yaml, yaml_value, words):
    path = write_yaml(registry_text(GOOD_POLICE + _with(GOOD_PRIVATE, f"    level: {yaml_value}")))
    reg = load_registry(path)
    msg = _problem_at(reg, path.read_text(), "SCM-04", "level")
    assert words in msg
    assert "SCM-04" not in reg.cameras and "KP-1" in reg.cameras


def test_old_floor_field_still_loads_and_conflicts_with_level(write_yaml):
    reg = load(write_yaml, _with(GOOD_PRIVATE, "    floor: Ground floor (east wing)"))
    assert reg.problems == []
    assert reg.cameras["SCM-04"].level == "Ground floor (east wing)"
    path = write_yaml(registry_text(GOOD_POLICE + _with(GOOD_PRIVATE,
                                                        "    level: L4\n    floor: 4F")))
    reg = load_registry(path)
    assert "not both" in _problem_at(reg, path.read_text(), "SCM-04", "floor")


def test_new_camera_fields_defaults(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE)
    cam = reg.cameras["SCM-04"]
    assert (cam.level, cam.indoor, cam.ptz, cam.position_accuracy_m, cam.access) == \
        (None, None, False, 0.0, "always")


def test_new_camera_fields_good_values(write_yaml):
    cams = (_with(GOOD_PRIVATE, "    indoor: true\n    position_accuracy_m: 30\n"
                                "    access: incident_only")
            + _with(GOOD_POLICE.replace("KP-1", "KP-2"), "    ptz: yes\n    indoor: false\n"
                                                        "    access: always"))
    reg = load(write_yaml, cams)
    assert reg.problems == []
    scm, kp = reg.cameras["SCM-04"], reg.cameras["KP-2"]
    assert scm.indoor is True and scm.position_accuracy_m == 30.0
    assert scm.access == "incident_only" and scm.ptz is False
    assert kp.ptz is True and kp.indoor is False and kp.access == "always"


@pytest.mark.parametrize("line, field, words", [
    ("    indoor: inside", "indoor", "must be true or false, got text"),
    ("    indoor: 1", "indoor", "must be true or false, got a number"),
    ("    ptz: maybe", "ptz", "must be true or false"),
    ("    position_accuracy_m: -5", "position_accuracy_m", "out of range (0 to 5000 m)"),
    ("    position_accuracy_m: thirty", "position_accuracy_m", "must be a number"),
    ("    position_accuracy_m: .nan", "position_accuracy_m", "out of range"),
    ("    access: sometimes", "access", "'sometimes' is not one of: always, incident_only"),
])
def test_new_camera_fields_bad_values(write_yaml, line, field, words):
    path = write_yaml(registry_text(GOOD_POLICE + _with(GOOD_PRIVATE, line)))
    reg = load_registry(path)
    assert words in _problem_at(reg, path.read_text(), "SCM-04", field)
    assert set(reg.cameras) == {"KP-1"} and reg.skipped == ["SCM-04"]


def test_incident_only_is_for_private_cameras(write_yaml):
    path = write_yaml(registry_text(_with(GOOD_POLICE, "    access: incident_only")))
    reg = load_registry(path)
    assert "only for private cameras" in _problem_at(reg, path.read_text(), "KP-1", "access")
    assert reg.cameras == {}


SITE_WITH = """\
  - id: south-city-mall
    name: South City Mall
    kind: mall
    station: jadavpur
    owner: Demo Owner Pvt Ltd
    contact: {{name: Security control room, phone: "+91 98300 00000"}}
    address: 375 Prince Anwar Shah Rd
    location: {{lat: 22.5014, lon: 88.3616}}
{footprint}"""
SQUARE = """\
    footprint:
      - {lat: 22.5020, lon: 88.3608}
      - {lat: 22.5020, lon: 88.3624}
      - {lat: 22.5008, lon: 88.3624}
      - {lat: 22.5008, lon: 88.3608}
"""


def _site_problem(write_yaml, footprint: str):
    path = write_yaml(registry_text(GOOD_POLICE + GOOD_PRIVATE,
                                    sites=SITE_WITH.format(footprint=footprint)))
    reg = load_registry(path)
    site_problems = [p for p in reg.problems if p.entity == "site south-city-mall"]
    assert len(site_problems) == 1, [str(p) for p in reg.problems]
    p = site_problems[0]
    assert Path(p.file) == path
    # The line: the 'footprint:' line, or for one point's problem that point's own line.
    fp_line = next(i for i, text in enumerate(path.read_text().splitlines(), start=1)
                   if text.strip().startswith("footprint:"))
    point = re.match(r"footprint\[(\d+)\]", p.field)
    assert p.line == fp_line + (int(point.group(1)) if point else 0), str(p)
    # the site is left out, and its camera says so; the rest loads
    assert "south-city-mall" not in reg.sites and set(reg.cameras) == {"KP-1"}
    assert ("SCM-04", "site") in {(q.camera, q.field) for q in reg.problems}
    assert str(p).startswith(f"{path}:{p.line}: site south-city-mall field '{p.field}'")
    return p


def test_site_footprint_good(write_yaml):
    reg = load_registry(write_yaml(registry_text(
        GOOD_POLICE + GOOD_PRIVATE, sites=SITE_WITH.format(footprint=SQUARE))))
    assert reg.problems == []
    fp = reg.sites["south-city-mall"].footprint
    assert len(fp) == 4 and fp[0].lat == 22.5020 and fp[1].lon == 88.3624
    # written closed (first point repeated), it is stored open
    closed = SQUARE + "      - {lat: 22.5020, lon: 88.3608}\n"
    reg = load_registry(write_yaml(registry_text(
        GOOD_POLICE + GOOD_PRIVATE, sites=SITE_WITH.format(footprint=closed))))
    assert reg.problems == [] and reg.sites["south-city-mall"].footprint == fp
    # no footprint: None
    reg = load_registry(write_yaml(registry_text(
        GOOD_POLICE + GOOD_PRIVATE, sites=SITE_WITH.format(footprint=""))))
    assert reg.problems == [] and reg.sites["south-city-mall"].footprint is None


@pytest.mark.parametrize("footprint, field, words", [
    ("    footprint: {lat: 22.5, lon: 88.36}\n", "footprint", "must be a list of at least 3"),
    ("    footprint:\n      - {lat: 22.5020, lon: 88.3608}\n"
     "      - {lat: 22.5008, lon: 88.3624}\n",
     "footprint", "needs at least 3 points, got 2"),
    (SQUARE.replace("lat: 22.5008, lon: 88.3624", "lat: 95, lon: 88.3624"),
     "footprint[3].lat", "out of range"),
    (SQUARE.replace("{lat: 22.5020, lon: 88.3624}", "{lat: 22.5020}"),
     "footprint[2].lon", "missing required field"),
    (SQUARE.replace("{lat: 22.5020, lon: 88.3624}", "[22.5020, 88.3624]"),
     "footprint[2]", "must be a mapping"),
    (SQUARE.replace("lon: 88.3608}\n      - {lat: 22.5020, lon: 88.3624}",
                    "lon: 88.3608}\n      - {lat: 22.5020, lon: 88.3624, alt: 3}"),
     "footprint[2].alt", "unknown key 'alt'"),
    ("    footprint:\n" + "      - {lat: 22.5014, lon: 88.3616}\n" * 3
     + "      - {lat: 22.5015, lon: 88.3616}\n",
     "footprint", "at least 3 different points, got 2"),
    ("    footprint:\n      - {lat: 22.5010, lon: 88.3610}\n      - {lat: 22.5014, lon: 88.3616}\n"
     "      - {lat: 22.5018, lon: 88.3622}\n",
     "footprint", "lie on one line"),
    ("    footprint:\n      - {lat: 22.5020, lon: 88.3608}\n      - {lat: 22.5008, lon: 88.3624}\n"
     "      - {lat: 22.5020, lon: 88.3624}\n      - {lat: 22.5008, lon: 88.3608}\n",
     "footprint", "crosses itself"),
    (SQUARE.replace("{lat: 22.5008, lon: 88.3608}", "{lat: 88.3608, lon: 22.5008}"),
     "footprint[4]", "lat and lon swapped?"),
])
def test_site_footprint_bad(write_yaml, footprint, field, words):
    p = _site_problem(write_yaml, footprint)
    assert p.field == field and words in p.message, str(p)


def test_bundled_demo_registry_has_the_alarm_fields():
    reg = load_registry(DEMO_REGISTRY)
    assert reg.problems == []
    scm = reg.sites["south-city-mall"].footprint
    assert scm is not None and len(scm) >= 4
    assert sum(1 for s in reg.sites.values() if s.kind == "mall" and s.footprint) >= 5
    private = [c for c in reg.cameras.values() if not c.is_police]
    assert all(c.level and c.indoor is not None for c in private)
    assert {reg.cameras[c].level for c in ("SCM-04", "SCM-05", "SCM-08")} == {"L4"}
    assert reg.cameras["SCM-09"].level == "B1" and reg.cameras["SCM-01"].level == "G"
    ptz = [c for c in reg.cameras.values() if c.ptz]
    assert len(ptz) >= 5 and all(c.is_police for c in ptz)
    only = [c for c in reg.cameras.values() if c.access == "incident_only"]
    assert 3 <= len(only) and all(not c.is_police for c in only)
    assert any(c.position_accuracy_m == 30 for c in private)


# -- [harden] 9, 10: hostile files are refused fast, with the place named ------------------------
def test_an_alias_bomb_as_a_key_is_refused_before_it_is_built(write_yaml):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "version: 1\n" + "\n".join(levels) + "\n? *i\n: boom\n"
    assert len(text) < 600  # a few hundred bytes that would expand to 387 million strings
    with pytest.raises(RegistryFileError, match=r"cameras.yaml:10:4: not valid YAML: a key must be text"):
        load_registry(write_yaml(text))


def test_size_caps_name_the_file_and_keep_what_is_valid(write_yaml, tmp_path, monkeypatch):
    from app import registry as registry_mod

    big = tmp_path / "big.yaml"
    with big.open("w") as f:
        f.write("version: 1\n# " + "x" * (registry_mod.MAX_FILE_BYTES + 10) + "\n")
    with pytest.raises(RegistryFileError, match=r"big.yaml: the file is \d+ MB; .* at most 20"):
        load_registry(big)
    long_name = "FAKE LIVE " * 200  # 2,000 characters
    text = registry_text(camera_yaml("OK-1", "rtsp://10.0.0.1/a")
                         + camera_yaml("LONG-1", "rtsp://10.0.0.1/b", name=long_name)
                         + camera_yaml("OK-2", "rtsp://10.0.0.1/c"))
    reg = load_registry(write_yaml(text))
    assert list(reg.cameras) == ["OK-1", "OK-2"] and reg.skipped == ["LONG-1"]
    problem = next(p for p in reg.problems if p.camera == "LONG-1")
    assert problem.field == "name" and "at most 1000" in problem.message and problem.line > 0
    monkeypatch.setattr(registry_mod, "MAX_CAMERAS", 2)
    reg = load_registry(write_yaml(text.replace(long_name, "Fine")))
    assert list(reg.cameras) == ["OK-1", "LONG-1"]
    assert any("more than 2 cameras" in p.message and p.line > 0 for p in reg.problems)


# -- [evidence]: recorder fields (device, retention checked, clock, where it stands) -------------
FULL_RECORDER = """\
    recorder:
      id: scm-nvr-b1
      room: Basement 1, security control room
      building: South City Mall
      level: B1
      location: {lat: 22.50127, lon: 88.3617}
      retention_days: 30
      retention_verified_at: 2024-12-05
      make: Hikvision
      model: DS-7732NI-K4
      serial: DS-7732NI-K41620220817AAWRJ5520
      clock_offset_s: -47.5
      clock_checked_at: 2024-12-05 11:20
"""


def _site_with(recorder: str) -> str:
    """The conftest site, its one-line recorder replaced by `recorder` (a block)."""
    site = registry_text().split("sites:\n", 1)[1].split("cameras:\n", 1)[0]
    return "\n".join(line for line in site.splitlines()
                     if not line.startswith("    recorder:")) + "\n" + recorder


def test_recorder_fields_are_typed_and_cameras_share_the_sites_recorder(write_yaml):
    import datetime as dt

    reg = load(write_yaml, GOOD_PRIVATE, sites=_site_with(FULL_RECORDER))
    assert reg.problems == [], [str(p) for p in reg.problems]
    rec = reg.sites["south-city-mall"].recorder
    assert (rec.id, rec.make, rec.model, rec.serial) == (
        "scm-nvr-b1", "Hikvision", "DS-7732NI-K4", "DS-7732NI-K41620220817AAWRJ5520")
    assert (rec.building, rec.level, rec.room) == ("South City Mall", "B1",
                                                   "Basement 1, security control room")
    assert rec.location.lat == pytest.approx(22.50127) and rec.retention_days == 30
    assert rec.retention_verified_at == dt.date(2024, 12, 5)
    assert rec.clock_offset_s == -47.5
    # a time without a zone is IST; stored aware
    assert rec.clock_checked_at == dt.datetime(2024, 12, 5, 5, 50, tzinfo=dt.timezone.utc)
    assert rec.clock_checked_at.utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert reg.recorders == {"scm-nvr-b1": rec}
    assert reg.cameras["SCM-04"].recorder is rec
    assert rec.line > 0


def test_old_recorders_stay_valid_and_new_fields_are_optional(write_yaml):
    reg = load(write_yaml, GOOD_PRIVATE)
    rec = reg.sites["south-city-mall"].recorder
    assert reg.problems == [] and reg.recorders == {}
    assert (rec.id, rec.make, rec.model, rec.serial, rec.retention_verified_at,
            rec.clock_offset_s, rec.clock_checked_at, rec.location) == (None,) * 8


@pytest.mark.parametrize("value, stored", [
    ('"2025-01-31 14:30"', "2025-01-31T14:30:00+05:30"),
    ("2025-01-31T14:30:00+05:30", "2025-01-31T14:30:00+05:30"),
    ("2025-01-31 09:00:00Z", "2025-01-31T09:00:00+00:00"),
    ('"2025-01-31T09:00Z"', "2025-01-31T09:00:00+00:00"),
])
def test_clock_checked_at_takes_ist_or_a_zone(write_yaml, value, stored):
    rec = FULL_RECORDER.replace("2024-12-05 11:20", value)
    reg = load(write_yaml, "", sites=_site_with(rec))
    assert reg.problems == [], [str(p) for p in reg.problems]
    assert reg.sites["south-city-mall"].recorder.clock_checked_at.isoformat() == stored


@pytest.mark.parametrize("old, new, field, words", [
    ("retention_verified_at: 2024-12-05", "retention_verified_at: 2025-02-30",
     "recorder.retention_verified_at", "'2025-02-30' is not a date: write YYYY-MM-DD"),
    ("retention_verified_at: 2024-12-05", "retention_verified_at: last week",
     "recorder.retention_verified_at", "is not a date"),
    ("retention_verified_at: 2024-12-05", "retention_verified_at: 20241205",
     "recorder.retention_verified_at", "is not a date"),
    ("retention_verified_at: 2024-12-05", "retention_verified_at: 1999-12-31",
     "recorder.retention_verified_at", "out of range"),
    ("clock_checked_at: 2024-12-05 11:20", "clock_checked_at: 2024-12-05",
     "recorder.clock_checked_at", "is not a date and time: write YYYY-MM-DD HH:MM (IST)"),
    ("clock_checked_at: 2024-12-05 11:20", "clock_checked_at: 2024-12-05 25:00",
     "recorder.clock_checked_at", "is not a date and time"),
    ("clock_offset_s: -47.5", "clock_offset_s: fast",
     "recorder.clock_offset_s", "must be a number"),
    ("clock_offset_s: -47.5", "clock_offset_s: 99999999",
     "recorder.clock_offset_s", "out of range"),
    ("      clock_checked_at: 2024-12-05 11:20\n", "",
     "recorder.clock_offset_s", "a clock offset needs 'clock_checked_at'"),
    ("level: B1", "level: basement one, north wing", "recorder.level", "is not a level"),
    ("location: {lat: 22.50127, lon: 88.3617}", "location: {lat: 95, lon: 88.3617}",
     "recorder.location.lat", "out of range"),
    ("location: {lat: 22.50127, lon: 88.3617}", "location: [22.5, 88.36]",
     "recorder.location", "must be a mapping"),
    ("id: scm-nvr-b1", "id: scm nvr <b1>", "recorder.id", "is not a valid recorder id"),
    ("make: Hikvision", 'make: ""', "recorder.make", "must not be empty"),
    ("serial: DS-", "serial_no: DS-", "recorder.serial_no", "did you mean 'serial'"),
    ("retention_days: 30", "retention_days: thirty", "recorder.retention_days",
     "must be a whole number"),
])
def test_bad_recorder_fields_name_the_file_line_and_field(write_yaml, old, new, field, words):
    assert old in FULL_RECORDER
    path = write_yaml(registry_text(GOOD_POLICE + GOOD_PRIVATE,
                                    sites=_site_with(FULL_RECORDER.replace(old, new))))
    reg = load_registry(path)
    problems = [p for p in reg.problems if p.entity == "site south-city-mall"]
    assert len(problems) == 1, [str(p) for p in reg.problems]
    p = problems[0]
    assert p.field == field and words in p.message, str(p)
    assert str(p).startswith(f"{path}:{p.line}: site south-city-mall field '{field}'")
    line = path.read_text().splitlines()[p.line - 1]
    assert field.split(".")[-1].split("_s")[0] in line or field == "recorder.location.lat"
    assert "south-city-mall" not in reg.sites  # a site with problems is left out, as before
    assert "KP-1" in reg.cameras


def test_one_recorder_id_one_description(write_yaml):
    inox = ("    recorder: {id: scm-inox, site: south-city-mall, room: 4F DVR room, "
            "retention_days: 15, make: CP Plus}\n")
    cams = (_with(GOOD_PRIVATE, inox.rstrip("\n"))
            + _with(GOOD_PRIVATE.replace("SCM-04", "SCM-06"), inox.rstrip("\n")))
    reg = load(write_yaml, cams)
    assert reg.problems == []
    assert reg.cameras["SCM-04"].recorder is reg.cameras["SCM-06"].recorder
    assert reg.recorders["scm-inox"].retention_days == 15
    other = inox.replace("retention_days: 15", "retention_days: 30").replace("CP Plus", "Dahua")
    cams = (_with(GOOD_PRIVATE, inox.rstrip("\n"))
            + _with(GOOD_PRIVATE.replace("SCM-04", "SCM-06"), other.rstrip("\n")))
    path = write_yaml(registry_text(GOOD_POLICE + cams))
    reg = load_registry(path)
    p = only_problem(reg)
    assert (p.camera, p.field) == ("SCM-06", "recorder.id")
    first = reg.recorders["scm-inox"].line
    assert f"also declared at line {first} with another retention_days, make" in p.message
    assert "SCM-06" not in reg.cameras and "SCM-04" in reg.cameras
    assert "scm-inox" in path.read_text().splitlines()[p.line - 1]


def test_a_date_typo_anywhere_is_a_named_problem_not_a_crash(write_yaml):
    # YAML reads 2025-02-30 as a timestamp and fails with a bare ValueError; the registry
    # reads dates itself, so a name that looks like a date is text and a bad one a problem.
    reg = load(write_yaml, GOOD_PRIVATE.replace("South City Mall food court 4F", "2025-02-30"))
    assert reg.problems == [] and reg.cameras["SCM-04"].name == "2025-02-30"


def test_demo_malls_have_recorders_inside_and_outside_their_footprint():
    from app.geometry import point_in_polygon

    reg = load_registry(DEMO_REGISTRY)
    site = reg.sites["south-city-mall"]
    poly = [(p.lat, p.lon) for p in site.footprint]
    recs = {c.recorder.id: c.recorder for c in reg.cameras_of_site(site.id)}
    assert set(recs) == {"scm-nvr-b1", "scm-inox-dvr-4f", "scr-t2-nvr"}
    inside = {rid for rid, r in recs.items()
              if point_in_polygon(r.location.lat, r.location.lon, poly)}
    assert inside == {"scm-nvr-b1", "scm-inox-dvr-4f"}
    assert recs["scm-nvr-b1"].retention_verified_at is not None
    assert recs["scm-inox-dvr-4f"].retention_verified_at is None
    assert all(r.make and r.model and r.serial for r in recs.values())
    malls = [s for s in reg.sites.values() if s.kind == "mall"]
    verified = [s.recorder.retention_verified_at is not None for s in malls]
    assert any(verified) and not all(verified)


RECORDER_KEYS = ["id", "site", "station", "building", "level", "room", "location",
                 "retention_days", "retention_verified_at", "make", "model", "serial",
                 "clock_offset_s", "clock_checked_at", "credentials"]


def test_recorder_keys_are_the_documented_ones():
    from app import registry as registry_mod

    assert list(registry_mod._RECORDER_KEYS) == RECORDER_KEYS
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## `cameras.yaml` reference", 1)[1].split("\n## ", 1)[0]
    missing = [k for k in RECORDER_KEYS if f"`recorder.{k}`" not in section]
    assert not missing, f"README's cameras.yaml reference lacks {missing}"


def test_any_value_in_any_recorder_field_is_a_named_problem():
    """[harden] for the recorder fields: whatever value, the loader answers with problems
    naming the file and a line, never an exception."""
    import yaml
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from app.registry import parse_registry
    from tests.test_registry_fuzz import values

    base = yaml.safe_load(registry_text(GOOD_POLICE + GOOD_PRIVATE,
                                        sites=_site_with(FULL_RECORDER)))

    @settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(key=st.sampled_from(RECORDER_KEYS), value=values, on_camera=st.booleans())
    def check(key, value, on_camera):
        data = yaml.safe_load(yaml.safe_dump(base))
        rec = data["sites"][0]["recorder"]
        rec[key] = value
        if on_camera:
            data["cameras"][1]["recorder"] = rec
        reg = parse_registry(yaml.safe_dump(data, allow_unicode=True), file="fuzz.yaml")
        for p in reg.problems:
            assert p.file == "fuzz.yaml" and p.line >= 1, p
            assert str(p).startswith(f"fuzz.yaml:{p.line}"), str(p)

    check()
