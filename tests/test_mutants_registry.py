"""The registry loader (app/registry.py): what mutation testing found untested. Every case
is a registry an author could write, and the assertions are what the loader must answer:
the objects it builds, or the problem it names (file, line, camera or entity, field)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app import registry as registry_mod
from app.registry import (IST, Camera, Problem, Registry, RegistryFileError, Relay,
                          load_registry, parse_registry)
from tests.conftest import camera_yaml, registry_text

POLICE = camera_yaml("KP-1", "rtsp://10.0.0.1/a")
PRIVATE = """\
  - id: SCM-1
    name: Mall gate
    ownership: private
    site: south-city-mall
    location: {lat: 22.5014, lon: 88.3616}
    streams: {main: "rtsp://10.0.0.2/a"}
"""


def parse(cameras: str = POLICE, extra: str = "", **kw) -> Registry:
    return parse_registry(registry_text(cameras, **kw) + extra, file="reg.yaml")


def problems(reg: Registry) -> list[str]:
    return [str(p) for p in reg.problems]


def one(reg: Registry) -> Problem:
    assert len(reg.problems) == 1, problems(reg)
    return reg.problems[0]


def camera(extra: str, cid: str = "C-1") -> str:
    """A valid police camera with the `extra` lines (`key: value`) added or replaced."""
    keys = {line.split(":")[0] for line in extra.splitlines()}
    base = [line for line in camera_yaml(cid, "rtsp://10.0.0.1/a").splitlines(keepends=True)
            if line.strip().split(":")[0] not in keys or line.startswith("  - ")]
    return "".join(base) + "".join(f"    {line}\n" for line in extra.splitlines())


def line_of(text: str, start: str, nth: int = -1) -> int:
    """The line number of the `nth` line of `text` that starts (stripped) with `start`."""
    return [i for i, line in enumerate(text.splitlines(), 1)
            if line.strip().startswith(start)][nth]


# -- problems as the author reads them ------------------------------------------------------------
@pytest.mark.parametrize("problem, text", [
    (Problem("f.yaml", 3, "bad"), "f.yaml:3: bad"),
    (Problem("f.yaml", 3, "bad", camera="C-1"), "f.yaml:3: camera C-1: bad"),
    (Problem("f.yaml", 3, "bad", camera="C-1", field="name"), "f.yaml:3: camera C-1 field 'name': bad"),
    (Problem("f.yaml", 3, "bad", entity="site x"), "f.yaml:3: site x: bad"),
    (Problem("f.yaml", 3, "bad", field="map.zoom", entity="map"), "f.yaml:3: map field 'map.zoom': bad"),
    (Problem("f.yaml", 3, "bad", camera="C-1", entity="site x"), "f.yaml:3: camera C-1: bad"),
])
def test_problem_text(problem, text):
    assert str(problem) == text


# -- the file -----------------------------------------------------------------------------------
def test_a_file_too_big_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(POLICE), encoding="utf-8")
    monkeypatch.setattr(registry_mod, "MAX_FILE_BYTES", 100)
    with pytest.raises(RegistryFileError) as err:
        load_registry(path)
    assert str(err.value).startswith(f"{path}: the file is 0 MB; a registry may be at most 0 MB")
    with pytest.raises(RegistryFileError, match="^<text>: [0-9]+ characters; a registry may be"):
        parse_registry(registry_text(POLICE))


def test_a_file_at_the_limit_is_read(tmp_path, monkeypatch):
    path = tmp_path / "cameras.yaml"
    text = registry_text(POLICE)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(registry_mod, "MAX_FILE_BYTES", len(text.encode()))
    assert list(load_registry(path).cameras) == ["KP-1"]


def test_unreadable_files(tmp_path):
    with pytest.raises(RegistryFileError, match="cannot read the file"):
        load_registry(tmp_path)  # a directory
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(RegistryFileError, match=r"latin1\.yaml: cannot read the file"):
        load_registry(bad)


def test_a_loaded_registry_knows_its_file_and_resolves_paths_next_to_it(tmp_path):
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(camera_yaml("F-1", "clips/gate.mp4")), encoding="utf-8")
    reg = load_registry(str(path))
    assert reg.path == path and reg.problems == []
    assert reg.cameras["F-1"].main.url == str(tmp_path.resolve() / "clips" / "gate.mp4")
    assert reg.cameras["F-1"].line == line_of(path.read_text(), "- id: F-1")


@pytest.mark.parametrize("text, message", [
    ("- a\n- b\n", "reg.yaml: the top level must be a mapping with 'version: 1', 'divisions', "
                   "'sites' and 'cameras', got a list"),
    ("", "reg.yaml: the top level must be a mapping with 'version: 1', 'divisions', 'sites' "
         "and 'cameras', got nothing"),
    ("cameras: []\n", "reg.yaml:1: unsupported registry version None; this Nazar reads "
                      "'version: 1'"),
    ("cameras: []\n\nversion: 2\n", "reg.yaml:3: unsupported registry version 2; this Nazar "
                                    "reads 'version: 1'"),
    ("version: 1\nx: [\n", "reg.yaml:3:1: not valid YAML: "),
])
def test_files_that_are_not_a_registry(text, message):
    with pytest.raises(RegistryFileError) as err:
        parse_registry(text, file="reg.yaml")
    assert str(err.value).startswith(message), str(err.value)


def test_yaml_errors_without_a_position(monkeypatch):
    import yaml

    def broken(*_a, **_k):
        raise yaml.YAMLError("broken stream")

    monkeypatch.setattr(registry_mod.yaml, "load", broken)
    with pytest.raises(RegistryFileError, match="^reg.yaml: not valid YAML: broken stream$"):
        parse_registry("version: 1\n", file="reg.yaml")


def test_an_empty_registry_is_valid():
    reg = parse_registry("version: 1\n")
    assert reg.cameras == {} and reg.problems == [] and reg.path is None


def test_dates_stay_text_and_keys_are_text():
    reg = parse_registry("version: 1\ndivisions:\n  - {id: d1, name: 2025-01-01}\n"
                         "  - {id: d2, name: 12, 7: x}\n")
    assert reg.divisions["d1"].name == "2025-01-01"
    assert reg.divisions["d2"].name == "12"
    assert "unknown key '7'" in problems(reg)[0]


# -- field checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("line, field, message", [
    ("name: true", "name", "must be text, got true/false"),
    ("name: [a]", "name", "must be text, got a list"),
    ("name: {a: 1}", "name", "must be text, got a mapping"),
    ("name: !!binary aGVsbG8=", "name", "must be text, got bytes"),
    ("name: !!set {a: null}", "name", "must be text, got set"),
    ("name: '  '", "name", "must not be empty"),
    ("name: " + "x" * 1001, "name", "is 1001 characters long; at most 1000"),
    ("ptz: 1", "ptz", "must be true or false, got a number"),
    ("ptz: 'yes'", "ptz", "must be true or false, got text"),
    ("number: 1.5", "number", "must be a whole number, got a number"),
    ("number: true", "number", "must be a whole number, got true/false"),
    ("number: 0", "number", "0 is out of range (1 to 999999)"),
    ("number: 1000000", "number", "1000000 is out of range (1 to 999999)"),
    ("position_accuracy_m: '5'", "position_accuracy_m", "must be a number, got text"),
    ("position_accuracy_m: true", "position_accuracy_m", "must be a number, got true/false"),
    ("position_accuracy_m: -0.5", "position_accuracy_m", "-0.5 m is out of range (0 to 5000 m)"),
    ("position_accuracy_m: .nan", "position_accuracy_m", "nan m is out of range (0 to 5000 m)"),
    ("position_accuracy_m: .inf", "position_accuracy_m", "inf m is out of range (0 to 5000 m)"),
    ("access: sometimes", "access", "'sometimes' is not one of: always, incident_only"),
    ("tags: word", "tags", "must be a list of words, got text"),
    ("tags: [a, '']", "tags", "must not be empty"),
    ("level: 301", "level", "301 is out of range (-20 to 300)"),
    ("level: -21", "level", "-21 is out of range (-20 to 300)"),
])
def test_bad_camera_values_are_named(line, field, message):
    reg = parse(camera(line))
    p = one(reg)
    where = line_of(registry_text(camera(line)), field + ":")
    assert (p.camera, p.field, p.message, p.line) == ("C-1", field, message, where)
    assert reg.skipped == ["C-1"] and reg.cameras == {}


@pytest.mark.parametrize("line, attr, value", [
    ("number: 1", "number", 1), ("number: 999999", "number", 999999),
    ("position_accuracy_m: 0", "position_accuracy_m", 0.0),
    ("position_accuracy_m: 5000", "position_accuracy_m", 5000.0),
    ("level: -20", "level", "-20"), ("level: 300", "level", "300"), ("level: L4", "level", "L4"),
    ("indoor: false", "indoor", False), ("ptz: true", "ptz", True),
    ("tags: [gate, ' night ']", "tags", ("gate", "night")), ("tags: []", "tags", ()),
    ("name: '  Gate  '", "name", "Gate"), ("name: 42", "name", "42"),
    ("name: " + "x" * 1000, "name", "x" * 1000),
])
def test_good_camera_values(line, attr, value):
    reg = parse(camera(line))
    assert reg.problems == [], problems(reg)
    assert getattr(reg.cameras["C-1"], attr) == value


def test_camera_defaults():
    cam = parse().cameras["KP-1"]
    assert (cam.indoor, cam.ptz, cam.position_accuracy_m, cam.access, cam.tags, cam.level,
            cam.coverage, cam.sub, cam.recorder) == (None, False, 0.0, "always", (), None,
                                                     None, None, None)
    assert cam.is_police and cam.floor is None and cam.site is None


@pytest.mark.parametrize("bad, kind", [("Park-Street", "id"), ("-a", "id"), ("a b", "id")])
def test_ids_that_are_not_slugs(bad, kind):
    reg = parse_registry(f"version: 1\ndivisions:\n  - {{id: '{bad}', name: X}}\n", file="r")
    assert one(reg).message == (f"'{bad}' is not a valid id (lower-case letters, digits and "
                                "'-')")


@pytest.mark.parametrize("cid", ["cam 1", ".c", "c/1", "c@1"])
def test_camera_ids_that_are_not_valid(cid):
    reg = parse(camera_yaml(cid, "rtsp://10.0.0.1/a"))
    assert one(reg).message == (f"'{cid}' is not a valid camera id (letters, digits, '.', '_' "
                                "and '-')")


@pytest.mark.parametrize("cid", ["C.1", "c_1", "9-a", "A"])
def test_camera_ids_that_are_valid(cid):
    assert list(parse(camera_yaml(cid, "rtsp://10.0.0.1/a")).cameras) == [cid]


def test_an_unknown_key_suggests_only_a_close_one():
    reg = parse(camera("locaton: {lat: 1, lon: 1}\nxyz: 1"))
    msgs = [p.message for p in reg.problems]
    assert msgs[0].startswith("unknown key 'locaton' (did you mean 'location'?); allowed: id, ")
    assert msgs[1].startswith("unknown key 'xyz'; allowed: id, number, name, ownership")


# -- cameras ------------------------------------------------------------------------------------
def test_coverage_bearing_wraps_and_ranges_are_checked():
    reg = parse(camera("coverage: {bearing: 360, fov: 1, range_m: 5000}"))
    assert reg.cameras["C-1"].coverage == registry_mod.Coverage(0.0, 1.0, 5000.0)
    reg = parse(camera("coverage: {bearing: 10, fov: 0.5, range_m: 0.9}"))
    assert [(p.field, p.message) for p in reg.problems] == [
        ("coverage.fov", "0.5° is out of range (1 to 360°)"),
        ("coverage.range_m", "0.9 m is out of range (1 to 5000 m)")]
    reg = parse(camera("coverage: {bearing: 10}"))
    assert [p.message for p in reg.problems] == ["missing required field 'coverage.fov'",
                                                 "missing required field 'coverage.range_m'"]
    reg = parse(camera("coverage: [1, 2]"))
    assert one(reg).message == "'coverage' must be a mapping (key: value), got a list"


def test_a_duplicate_camera_id_names_the_first_line():
    reg = parse(POLICE + camera_yaml("KP-1", "rtsp://10.0.0.9/x"))
    p = one(reg)
    text = registry_text(POLICE + camera_yaml("KP-1", "rtsp://10.0.0.9/x"))
    assert p.message == (f"duplicate camera id 'KP-1' (first defined at line "
                         f"{line_of(text, '- id: KP-1', 0)}); this one is skipped")
    assert p.line == line_of(text, "- id: KP-1") and reg.skipped == ["KP-1"]
    assert reg.cameras["KP-1"].main.url == "rtsp://10.0.0.1/a"


def test_camera_numbers_must_be_unique_and_free_ones_are_given_in_order():
    reg = parse(camera("number: 2", "A") + camera_yaml("B", "rtsp://h/b")
                + camera("number: 2", "C") + camera_yaml("D", "rtsp://h/d")
                + camera("number: 1", "E"))
    assert one(reg).message == "camera number 2 is already used by camera A"
    assert {c: reg.cameras[c].number for c in reg.cameras} == {"A": 2, "B": 3, "D": 4, "E": 1}
    assert reg.by_number(3).id == "B" and reg.by_number(99) is None


def test_a_camera_that_is_not_a_mapping_is_skipped_with_its_line():
    reg = parse("  - just text\n" + POLICE)
    line = line_of(registry_text("  - just text\n" + POLICE), "- just text")
    p = one(reg)
    assert p.camera == f"#1 (line {line})" and p.message == ("a camera must be a mapping "
                                                              "(key: value), got text")
    assert reg.skipped == [f"line {line}"] and list(reg.cameras) == ["KP-1"]


def test_at_most_max_cameras(monkeypatch):
    monkeypatch.setattr(registry_mod, "MAX_CAMERAS", 2)
    reg = parse(camera_yaml("A", "rtsp://h/a") + camera_yaml("B", "rtsp://h/b")
                + camera_yaml("C", "rtsp://h/c"))
    assert list(reg.cameras) == ["A", "B"]
    assert one(reg).message == ("more than 2 cameras: this one and the rest are not loaded")


def test_a_private_camera_takes_its_sites_station_and_recorder():
    reg = parse(PRIVATE)
    cam = reg.cameras["SCM-1"]
    assert cam.station == "jadavpur" and cam.site == "south-city-mall" and not cam.is_police
    assert cam.recorder == reg.sites["south-city-mall"].recorder
    assert cam.recorder.room == "B1 security room"
    assert reg.cameras_of_site("south-city-mall") == [cam]
    assert reg.cameras_of_station("jadavpur") == [cam] and reg.cameras_of_site("x") == []


def test_a_private_camera_with_its_own_station_and_recorder_keeps_them():
    reg = parse(PRIVATE + "    station: park-street\n"
                "    recorder: {room: Gate cabin, retention_days: 7}\n")
    cam = reg.cameras["SCM-1"]
    assert cam.station == "park-street" and cam.recorder.room == "Gate cabin"


def test_stream_problems():
    reg = parse(camera_yaml("A", "rtsp://h/a").replace("    streams: {main: \"rtsp://h/a\"}\n",
                                                       "    streams: rtsp://h/a\n"))
    assert one(reg).message == "'streams' must be a mapping (key: value), got text"
    reg = parse(camera_yaml("A", "rtsp://h/a", sub="ftp://h/b"))
    assert one(reg).field == "streams.sub"
    assert one(reg).message.startswith("bad stream address: unsupported scheme 'ftp://'")
    text = camera_yaml("A", "rtsp://h/a").replace("    streams: {main: \"rtsp://h/a\"}\n", "")
    assert one(parse(text)).message == ("missing required field 'streams' (main, and "
                                        "optionally sub)")
    reg = parse(camera_yaml("A", "rtsp://h/a", sub="rtsp://h/b"))
    assert reg.cameras["A"].sub.url == "rtsp://h/b"


def test_level_and_floor():
    assert parse(camera("floor: 4F")).cameras["C-1"].level == "4F"
    assert parse(camera("level: G")).cameras["C-1"].floor == "G"
    p = one(parse(camera("level: G\nfloor: G")))
    assert (p.field, p.message) == ("floor", "give 'level' or its old name 'floor', not both")
    p = one(parse(camera("level: 2.5")))
    assert p.message == "must be a whole number or short text such as G, L4, B1, got 2.5"
    p = one(parse(camera("level: 'ground floor!'")))
    assert p.message.startswith("'ground floor!' is not a level")


# -- stations, divisions, sites -----------------------------------------------------------------
def test_divisions_and_stations():
    reg = parse()
    assert reg.divisions["south"] == registry_mod.Division("south", "South",
                                                           ("park-street", "jadavpur"))
    st = reg.stations["park-street"]
    assert (st.division, st.location, st.phone) == ("south",
                                                    registry_mod.Location(22.553, 88.351), None)


def test_duplicate_division_and_station_ids():
    text = ("version: 1\ndivisions:\n"
            "  - {id: a, name: A, stations: [{id: s1, name: S1, phone: '100'}]}\n"
            "  - {id: a, name: A2}\n"
            "  - {id: b, name: B, stations: [{id: s1, name: Other}, {name: no id},\n"
            "                                {id: s2, name: S2, location: {lat: 95, lon: 1}}]}\n")
    reg = parse_registry(text, file="r")
    assert [(p.line, p.entity, p.field, p.message) for p in reg.problems] == [
        (4, "division a", "id", "duplicate division id 'a' (first defined at line 3); its name "
                                 "is ignored and its stations are added to that division"),
        (5, "station s1", "id", "duplicate police station id 's1' (first defined at line 3); "
                                "this one is skipped"),
        (5, "division b station", "id", "missing required field 'id'"),
        (6, "station s2", "location.lat", "95° is out of range (-90 to 90°)")]
    assert reg.divisions["b"].stations == ("s2",) and reg.stations["s1"].name == "S1"
    assert reg.stations["s1"].phone == "100" and reg.stations["s2"].location is None


def test_sections_that_are_not_lists():
    reg = parse_registry("version: 1\ndivisions: {a: 1}\ncameras: text\n", file="r")
    assert [(p.line, p.field, p.message) for p in reg.problems] == [
        (2, "divisions", "'divisions' must be a list, got a mapping"),
        (3, "cameras", "'cameras' must be a list, got text")]


def test_a_site_needs_a_contact_and_a_known_station():
    sites = """\
  - id: mall
    name: Mall
    kind: mall
    station: nowhere
    owner: Owner
    address: Road 1
    location: {lat: 22.5, lon: 88.3}
"""
    reg = parse("", sites=sites)
    assert [(p.field, p.message) for p in reg.problems] == [
        ("station", "unknown police station 'nowhere'"),
        ("contact", "missing required field 'contact' (name, phone: who answers 24x7)")]
    assert reg.sites == {}
    reg = parse("", sites=sites.replace("nowhere", "jadavpur")
                + "    contact: {name: Guard}\n")
    assert one(reg).field == "contact.phone"
    reg = parse("", sites=sites.replace("nowhere", "jadavpur")
                + "    contact: {name: Guard, phone: '1'}\n    kind: shop\n")
    assert "duplicate key 'kind'" in one(reg).message
    reg = parse("", sites=sites.replace("nowhere", "jadavpur") + "    contact: x\n")
    assert one(reg).message == "'contact' must be a mapping (key: value), got text"


def test_a_duplicate_site_is_reported_and_the_first_kept():
    sites = registry_text().split("sites:\n")[1].split("cameras:")[0]
    reg = parse("", sites=sites + sites.replace("South City Mall", "Other"))
    p = one(reg)
    assert p.message == ("duplicate site id 'south-city-mall' (first defined at line 9); "
                         "this one is skipped") and p.entity == "site south-city-mall"
    assert reg.sites["south-city-mall"].name == "South City Mall"


# -- recorders ----------------------------------------------------------------------------------
def rec(fields: str) -> str:
    days = "" if "retention_days" in fields else "retention_days: 30, "
    return camera("recorder: {room: Cabin, " + days + fields + "}")


@pytest.mark.parametrize("fields, field, message", [
    ("site: south-city-mall, station: park-street", "recorder",
     "give either 'site' or 'station' for a recorder, not both"),
    ("site: nowhere", "recorder.site", "unknown site 'nowhere'"),
    ("station: nowhere", "recorder.station", "unknown police station 'nowhere'"),
    ("clock_offset_s: 3", "recorder.clock_offset_s",
     "a clock offset needs 'clock_checked_at' (when it was measured): a recorder's clock drifts"),
    ("retention_days: 3651", "recorder.retention_days", "3651 is out of range (0 to 3650)"),
    ("id: 'a b'", "recorder.id",
     "'a b' is not a valid recorder id (letters, digits, '.', '_' and '-')"),
    ("retention_verified_at: 1999-12-31", "recorder.retention_verified_at",
     "1999-12-31 is out of range (2000-01-01 to 2100-12-31)"),
    ("retention_verified_at: 2101-01-01", "recorder.retention_verified_at",
     "2101-01-01 is out of range (2000-01-01 to 2100-12-31)"),
    ("retention_verified_at: 2025-1-5", "recorder.retention_verified_at",
     "'2025-1-5' is not a date: write YYYY-MM-DD, e.g. 2025-01-31"),
    ("retention_verified_at: 2025-02-30", "recorder.retention_verified_at",
     "'2025-02-30' is not a date: write YYYY-MM-DD, e.g. 2025-01-31"),
    ("clock_offset_s: 31622401, clock_checked_at: 2025-01-31 10:00", "recorder.clock_offset_s",
     "31622401 s is out of range (-3.16224e+07 to 3.16224e+07 s)"),
    ("clock_checked_at: 2025-01-31", "recorder.clock_checked_at",
     "'2025-01-31' is not a date and time: write YYYY-MM-DD HH:MM (IST) or with a zone, "
     "e.g. 2025-01-31 14:30+05:30"),
    ("clock_checked_at: 1999-12-31 23:00", "recorder.clock_checked_at",
     "1999-12-31 is out of range (2000-01-01 to 2100-12-31)"),
    ("location: {lat: 1}", "recorder.location.lon", "missing required field 'recorder.location.lon'"),
])
def test_bad_recorders(fields, field, message):
    reg = parse(rec(fields))
    rec_problems = [(p.field, p.message) for p in reg.problems]
    assert (field, message) in rec_problems, rec_problems
    assert reg.cameras == {}


def test_recorder_values():
    reg = parse(rec("station: park-street, id: NVR-1, make: Hik, model: M, serial: S1, "
                    "building: Tower 2, level: B1, retention_verified_at: 2025-01-31, "
                    "clock_offset_s: -2.5, clock_checked_at: '2025-01-31T10:00Z', "
                    "location: {lat: 22.5, lon: 88.3}"))
    assert reg.problems == [], problems(reg)
    r = reg.cameras["C-1"].recorder
    assert (r.room, r.retention_days, r.station, r.site, r.id, r.make, r.model, r.serial,
            r.building, r.level) == ("Cabin", 30, "park-street", None, "NVR-1", "Hik", "M",
                                     "S1", "Tower 2", "B1")
    assert r.retention_verified_at == dt.date(2025, 1, 31)
    assert r.clock_offset_s == -2.5
    assert r.clock_checked_at == dt.datetime(2025, 1, 31, 10, 0, tzinfo=dt.timezone.utc)
    assert r.location == registry_mod.Location(22.5, 88.3)
    assert reg.recorders == {"NVR-1": r}


def test_a_recorder_time_without_a_zone_is_ist():
    reg = parse(rec("clock_checked_at: '2025-01-31 14:30', clock_offset_s: 0"))
    checked = reg.cameras["C-1"].recorder.clock_checked_at
    assert checked == dt.datetime(2025, 1, 31, 14, 30, tzinfo=IST)
    assert checked.utcoffset() == dt.timedelta(hours=5, minutes=30)


def test_retention_may_be_zero_and_the_range_ends_are_dates():
    reg = parse(rec("retention_days: 0, retention_verified_at: 2000-01-01").replace(
        "retention_days: 30, ", ""))
    assert reg.problems == [], problems(reg)
    reg = parse(rec("retention_verified_at: 2100-12-31"))
    assert reg.cameras["C-1"].recorder.retention_verified_at == dt.date(2100, 12, 31)


def test_the_same_recorder_declared_twice_is_one_object_and_differences_are_named():
    same = rec("id: NVR-1, station: park-street")
    reg = parse(same.replace("C-1", "A") + same.replace("C-1", "B"))
    assert reg.problems == [] and reg.cameras["A"].recorder is reg.cameras["B"].recorder
    other = rec("id: NVR-1, station: jadavpur, make: X").replace("C-1", "B")
    reg = parse(same.replace("C-1", "A") + other)
    first = line_of(registry_text(same.replace("C-1", "A") + other), "recorder:", 1)
    p = one(reg)
    assert p.message == (f"recorder 'NVR-1' is also declared at line {first} with another "
                         "station, "
                         "make: one recorder, one description (copy it exactly, or give this "
                         "one another id)")
    assert p.field == "recorder.id" and list(reg.cameras) == ["A"]


def test_a_recorder_that_is_not_a_mapping():
    p = one(parse(camera("recorder: cabin")))
    assert (p.field, p.message) == ("recorder", "'recorder' must be a mapping (key: value), "
                                                "got text")


# -- footprints ---------------------------------------------------------------------------------
def site_with(footprint: str) -> str:
    return registry_text().split("sites:\n")[1].split("cameras:")[0] + \
        f"    footprint: {footprint}\n"


SQUARE = "[{lat: 22.5010, lon: 88.3610}, {lat: 22.5010, lon: 88.3620}, " \
         "{lat: 22.5020, lon: 88.3620}, {lat: 22.5020, lon: 88.3610}]"


def test_a_closed_footprint_drops_its_last_point():
    closed = SQUARE[:-1] + ", {lat: 22.5010, lon: 88.3610}]"
    reg = parse("", sites=site_with(closed))
    assert reg.problems == [] and len(reg.sites["south-city-mall"].footprint) == 4


@pytest.mark.parametrize("footprint, message", [
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5020, lon: 88.3620}, "
     "{lat: 22.5010, lon: 88.3620}, {lat: 22.5020, lon: 88.3610}]",
     "the footprint's outline crosses itself (the edge from point 1 crosses the edge from "
     "point 3); list the points in order around the building"),
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5010, lon: 88.3610}, "
     "{lat: 22.5020, lon: 88.3620}]", "a footprint needs at least 3 different points, got 2"),
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5015, lon: 88.3615}, "
     "{lat: 22.5020, lon: 88.3620}]", "the footprint's points lie on one line (area "),
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5020, lon: 88.3610}]",
     "a footprint needs at least 3 points, got 2"),
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5020, lon: 88.3610}, "
     "{lat: 22.5010, lon: 88.3610}]", "a footprint needs at least 3 different points, got 2"),
    ("{lat: 1, lon: 2}", "must be a list of at least 3 points {lat, lon}, got a mapping"),
    ("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5010, lon: 88.4620}, "
     "{lat: 22.5020, lon: 88.3620}]",
     "point 2 is 10.3 km from the site's location (more than 5 km; lat and lon swapped?)"),
])
def test_bad_footprints(footprint, message):
    reg = parse("", sites=site_with(footprint))
    assert reg.problems and reg.problems[0].message.startswith(message), problems(reg)
    assert "south-city-mall" not in reg.sites


def test_a_footprint_point_with_problems_is_named():
    reg = parse("", sites=site_with("[{lat: 22.5010}, x, {lat: 22.5020, lon: 88.3620, z: 1}, "
                                    "{lat: 22.5030, lon: 88.3630}]"))
    assert [(p.field, p.message) for p in reg.problems] == [
        ("footprint[1].lon", "missing required field 'footprint[1].lon'"),
        ("footprint[2]", "footprint point 2 must be a mapping (key: value), got text"),
        ("footprint[3].z", "unknown key 'z'; allowed: lat, lon")]


def test_a_thin_but_real_footprint_is_accepted():
    reg = parse("", sites=site_with("[{lat: 22.5010, lon: 88.3610}, {lat: 22.5010, lon: 88.3620}, "
                                    "{lat: 22.50102, lon: 88.3615}]"))
    assert reg.problems == [], problems(reg)


# -- map ----------------------------------------------------------------------------------------
def test_map_settings(tmp_path):
    mb = tmp_path / "city.mbtiles"
    mb.write_bytes(b"x")
    text = registry_text(POLICE, extra_top="map:\n  tiles: 'https://t/{z}/{x}/{y}.png'\n"
                         "  mbtiles: city.mbtiles\n  attribution: KMC\n"
                         "  center: {lat: 22.5, lon: 88.3}\n  zoom: 20\n")
    reg = parse_registry(text, file="r", base_dir=tmp_path)
    assert reg.problems == [], problems(reg)
    assert reg.map == registry_mod.MapConfig("https://t/{z}/{x}/{y}.png", mb, "KMC",
                                             registry_mod.Location(22.5, 88.3), 20)


@pytest.mark.parametrize("setting, message", [
    ("tiles: 'http://t/{z}/{x}.png'", "a tile URL template needs {z}, {x} and {y}"),
    ("tiles: 'ftp://t/{z}/{x}/{y}'", "a tile URL template must start with http:// or https://"),
    ("tiles: 'http://t/{z}/{x}/{y}?a=1;b'", "a tile URL template cannot contain ';'"),
    ("tiles: 'http://t/{z}/{x}/{y}?a=\"<b>\"'",
     "a tile URL template cannot contain '\"' '<' '>'"),
    ("mbtiles: /no/such.mbtiles", "tile file not found: /no/such.mbtiles"),
    ("zoom: 21", "21 is out of range (1 to 20)"),
    ("zoom: 0", "0 is out of range (1 to 20)"),
    ("center: {lat: 22.5}", "missing required field 'center.lon'"),
    ("colour: red", "unknown key 'colour'; allowed: tiles, mbtiles, pmtiles, attribution, center, zoom"),
])
def test_bad_map_settings_fall_back_to_the_built_in_map(setting, message):
    reg = parse_registry(registry_text(POLICE, extra_top=f"map:\n  {setting}\n"), file="r")
    p = one(reg)
    assert p.message == message and p.entity == "map"
    assert reg.map == registry_mod.MapConfig() and list(reg.cameras) == ["KP-1"]


def test_map_must_be_a_mapping():
    reg = parse_registry(registry_text(POLICE, extra_top="map: osm\n"), file="r")
    assert one(reg).message == "'map' must be a mapping (key: value), got text"


def test_a_relative_mbtiles_without_a_registry_directory_is_relative_to_here(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.mbtiles").write_bytes(b"x")
    reg = parse_registry(registry_text(POLICE, extra_top="map: {mbtiles: here.mbtiles}\n"))
    assert reg.map.mbtiles == Path("here.mbtiles") and reg.map.zoom == 12


# -- relays -------------------------------------------------------------------------------------
def relays(*items: str) -> str:
    return "relays:\n" + "".join(items)


def relay(body: str, rid: str = "hub-1") -> str:
    return f"  - id: {rid}\n" + "".join(f"    {line}\n" for line in body.splitlines())


HUB = "address: rtsp://10.20.0.5:8654\nserves: {divisions: [south]}"


def test_a_relay_hub():
    hub = relays(relay(
        "name: Lalbazar 1\naddress: rtsp://10.20.0.5:8654/\nuser: console\n"
        "password: ${HUB_PW}\nserves: {divisions: [south], sites: [south-city-mall], "
        "cameras: [KP-1]}"))
    reg = parse(POLICE + PRIVATE, extra=hub)
    text = registry_text(POLICE + PRIVATE) + hub
    assert problems(reg) == [f"reg.yaml:{line_of(text, 'password:')}: relay hub-1 field "
                             "'password': environment variable ${HUB_PW} is not set"]
    r = reg.relays["hub-1"]
    assert (r.name, r.host, r.port, r.user, r.password) == ("Lalbazar 1", "10.20.0.5", 8654,
                                                            None, None)
    assert (r.divisions, r.sites, r.cameras, r.line) == (("south",), ("south-city-mall",),
                                                         ("KP-1",), line_of(text, "- id: hub-1"))


def test_relay_login_from_the_environment_and_an_ipv6_hub():
    text = registry_text(POLICE) + relays(relay(
        "address: 'rtsp://[fd00::5]:8554'\nuser: console\npassword: ${HUB_PW}\n"
        "serves: {cameras: [KP-1]}"))
    reg = parse_registry(text, env={"HUB_PW": "s3cret"})
    assert reg.problems == []
    r = reg.relays["hub-1"]
    assert (r.name, r.host, r.port, r.user, r.password) == ("hub-1", "fd00::5", 8554, "console",
                                                            "s3cret")


@pytest.mark.parametrize("address, message", [
    ("rtsp://u:p@10.0.0.5:8554", "no user or password in the address: give them as 'user' and "
                                 "'password' (with ${ENV})"),
    ("rtsp://10.0.0.5", "'rtsp://10.0.0.5' is not rtsp://HOST:PORT (e.g. rtsp://10.20.0.5:8654)"),
    ("rtsp://10.0.0.5:0", "'rtsp://10.0.0.5:0' is not rtsp://HOST:PORT"),
    ("rtsp://10.0.0.5:65536", "'rtsp://10.0.0.5:65536' is not rtsp://HOST:PORT"),
    ("http://10.0.0.5:80", "'http://10.0.0.5:80' is not rtsp://HOST:PORT"),
    ("rtsp://10.0.0.5:80/x", "'rtsp://10.0.0.5:80/x' is not rtsp://HOST:PORT"),
])
def test_bad_relay_addresses(address, message):
    reg = parse(extra=relays(relay(f"address: '{address}'\nserves: {{cameras: [KP-1]}}")))
    p = one(reg)
    assert p.message.startswith(message) and p.field == "address" and p.entity == "relay hub-1"
    assert reg.relays == {}


def test_the_highest_port_is_a_port():
    reg = parse(extra=relays(relay("address: rtsp://hub.local:65535\nserves: {cameras: [KP-1]}")))
    assert reg.problems == [] and reg.relays["hub-1"].port == 65535


def test_relay_user_and_password_go_together():
    reg = parse(extra=relays(relay(HUB + "\nuser: console")))
    p = one(reg)
    assert p.message == "give 'user' and 'password' together (or neither)"
    assert reg.relays == {}


def test_what_a_relay_serves():
    reg = parse(extra=relays(relay("address: rtsp://h:1\nserves: {divisions: [south, north], "
                                   "cameras: [KP-1, 5]}")))
    assert [(p.field, p.message) for p in reg.problems] == [
        ("serves.divisions", "'serves.divisions': unknown division 'north' (ignored)"),
        ("serves.cameras", "'serves.cameras': unknown camera '5' (ignored)")]
    assert reg.relays["hub-1"].divisions == ("south",)
    assert reg.relays["hub-1"].cameras == ("KP-1",)
    reg = parse(extra=relays(relay("address: rtsp://h:1\nserves: {sites: [nowhere]}")))
    assert [p.message for p in reg.problems] == ["'serves.sites': unknown site 'nowhere' "
                                                 "(ignored)"]
    assert reg.relays == {}
    reg = parse(extra=relays(relay("address: rtsp://h:1\nserves: {}")))
    assert one(reg).message == "serves nothing: list divisions, sites or cameras"
    reg = parse(extra=relays(relay("address: rtsp://h:1")))
    assert one(reg).message == ("missing required field 'serves' (divisions, sites and/or "
                                "cameras)")
    reg = parse(extra=relays(relay("address: rtsp://h:1\nserves: [KP-1]")))
    assert one(reg).message == "'serves' must be a mapping (key: value), got a list"


def test_duplicate_relays_and_relays_with_other_problems():
    reg = parse(extra=relays(relay(HUB), relay(HUB.replace("10.20.0.5", "10.20.0.6")),
                             relay(HUB + "\nport: 1", "hub-2"), relay(HUB, "Hub 3")))
    assert [(p.entity, p.message.split(";")[0]) for p in reg.problems] == [
        ("relay hub-1", "duplicate relay id 'hub-1'"),
        ("relay hub-2", "unknown key 'port'"),
        ("relay", "'Hub 3' is not a valid id (lower-case letters, digits and '-')")]
    assert list(reg.relays) == ["hub-1"] and reg.relays["hub-1"].host == "10.20.0.5"


def test_the_relay_for_a_camera_is_the_first_that_serves_it():
    reg = parse(POLICE + PRIVATE + camera_yaml("J-1", "rtsp://h/j").replace(
        "park-street", "jadavpur"), extra=relays(
        relay("address: rtsp://h:1\nserves: {cameras: [SCM-1]}", "by-camera"),
        relay("address: rtsp://h:2\nserves: {sites: [south-city-mall]}", "by-site"),
        relay("address: rtsp://h:3\nserves: {divisions: [south]}", "by-division")))
    assert reg.problems == [], problems(reg)
    assert reg.relay_for(reg.cameras["SCM-1"]).id == "by-camera"
    assert reg.relay_for(reg.cameras["KP-1"]).id == "by-division"
    assert reg.relay_for(reg.cameras["J-1"]).id == "by-division"
    only_site = parse(POLICE + PRIVATE, extra=relays(
        relay("address: rtsp://h:2\nserves: {sites: [south-city-mall]}", "by-site")))
    assert only_site.relay_for(only_site.cameras["SCM-1"]).id == "by-site"
    assert only_site.relay_for(only_site.cameras["KP-1"]) is None


def test_a_relay_serves_by_camera_site_or_division():
    hub = Relay("h", "H", "10.0.0.1", 1, divisions=("d",), sites=("s",), cameras=("c",))
    cam = parse().cameras["KP-1"]
    assert hub.serves(registry_mod.replace(cam, id="c"), None)
    assert hub.serves(registry_mod.replace(cam, site="s"), None)
    assert hub.serves(cam, "d")
    assert not hub.serves(cam, None) and not hub.serves(cam, "other")
    assert not Relay("h", "H", "x", 1, sites=("s",)).serves(cam, None)  # no site: not by site
    assert not hub.serves(registry_mod.replace(cam, site="other"), None)


def test_a_camera_of_a_station_the_registry_lacks_has_no_relay():
    reg = parse(extra=relays(relay(HUB)))
    cam = registry_mod.replace(reg.cameras["KP-1"], station="gone")
    assert reg.relay_for(cam) is None


# -- the first wall -------------------------------------------------------------------------------
def test_default_view_alternates_divisions_and_sites():
    text = registry_text(
        camera_yaml("P1", "rtsp://h/1") + camera_yaml("P2", "rtsp://h/2")
        + camera_yaml("Q1", "rtsp://h/3").replace("park-street", "north-1") + PRIVATE
        + PRIVATE.replace("SCM-1", "SCM-2"),
        extra_top="") .replace("sites:\n", "  - id: north\n    name: North\n    stations:\n"
                                          "      - {id: north-1, name: North 1}\nsites:\n")
    reg = parse_registry(text)
    assert reg.problems == [], problems(reg)
    assert reg.default_view(10) == ["P1", "SCM-1", "Q1", "SCM-2", "P2"]
    assert reg.default_view(3) == ["P1", "SCM-1", "Q1"]
    assert reg.default_view(0) == []
    assert Registry(path=None).default_view(4) == []


def test_default_view_takes_private_cameras_from_different_sites_in_turn():
    other_site = """\
  - id: gariahat-market
    name: Gariahat Market
    kind: market
    station: jadavpur
    owner: Market Committee
    contact: {name: Office, phone: "100"}
    address: Gariahat Rd
    location: {lat: 22.5180, lon: 88.3670}
"""
    sites = registry_text().split("sites:\n")[1].split("cameras:")[0] + other_site
    cams = (PRIVATE + PRIVATE.replace("SCM-1", "SCM-2")
            + PRIVATE.replace("SCM-1", "GM-1").replace("south-city-mall", "gariahat-market")
            .replace("22.5014, lon: 88.3616", "22.5180, lon: 88.3670"))
    reg = parse(cams, sites=sites)
    assert reg.problems == [], problems(reg)
    assert reg.default_view(3) == ["SCM-1", "GM-1", "SCM-2"]


def test_camera_properties():
    cam = Camera("X", "X", "private", "s", "site", registry_mod.Location(0, 0), None,
                 parse().cameras["KP-1"].main, None, None, level="B1")
    assert not cam.is_police and cam.floor == "B1"


# -- more found by the sampled run ----------------------------------------------------------------
L = 22.5010


def pts(*lonlat: tuple[float, float]) -> str:
    return "[" + ", ".join(f"{{lat: {lat}, lon: {lon}}}" for lat, lon in lonlat) + "]"


@pytest.mark.parametrize("footprint", [
    # a corner lying on an edge that is not its neighbour: the outline touches itself
    pts((L, 88.3620), (L + 0.001, 88.3615), (L, 88.3610), (L, 88.3630)),  # point 1 on 3-4
    pts((L + 0.001, 88.3615), (L, 88.3620), (L, 88.3610), (L, 88.3630)),  # point 2 on 3-4
    pts((L, 88.3610), (L, 88.3630), (L, 88.3620), (L + 0.001, 88.3615)),  # point 3 on 1-2
    pts((L, 88.3610), (L, 88.3630), (L + 0.001, 88.3620), (L, 88.3620)),  # point 4 on 1-2
])
def test_a_footprint_that_touches_itself_is_refused(footprint):
    reg = parse("", sites=site_with(footprint))
    assert [p.message for p in reg.problems] == [
        "the footprint's outline crosses itself (the edge from point 1 crosses the edge from "
        "point 3); list the points in order around the building"]


def test_stream_problems_name_the_camera_field_and_line():
    text = camera_yaml("A", "rtsp://h/a").replace('    streams: {main: "rtsp://h/a"}\n',
                                                  "    streams: rtsp://h/a\n")
    p = one(parse(text))
    assert (p.camera, p.field, p.line) == ("A", "streams", line_of(registry_text(text),
                                                                   "streams:"))
    p = one(parse(camera_yaml("A", "rtsp://h/a", sub="ftp://h/b")))
    assert (p.camera, p.field) == ("A", "streams.sub")
    text = camera_yaml("A", "rtsp://h/a").replace('main: "rtsp://h/a"}',
                                                  'main: "rtsp://h/a", third: x}')
    p = one(parse(text))
    assert (p.camera, p.field) == ("A", "streams.third")
    assert p.message.startswith("unknown key 'third'; allowed: main, sub")


def test_recorder_problems_name_the_camera_and_line():
    text = camera("recorder: cabin")
    p = one(parse(text))
    assert (p.camera, p.line) == ("C-1", line_of(registry_text(text), "recorder:"))
    p = one(parse(camera("recorder: {retention_days: 30}")))
    assert (p.camera, p.field, p.message) == ("C-1", "recorder.room",
                                             "missing required field 'recorder.room'")


def test_a_private_recorder_keeps_its_site():
    reg = parse(PRIVATE + "    recorder: {room: Gate cabin, retention_days: 7, "
                "site: south-city-mall}\n")
    assert reg.problems == [], problems(reg)
    assert reg.cameras["SCM-1"].recorder.site == "south-city-mall"


def test_the_last_day_of_the_range_takes_a_time_too():
    reg = parse(rec("clock_checked_at: '2100-12-31 23:00', clock_offset_s: 1"))
    assert reg.problems == [], problems(reg)


def test_a_loaded_file_resolves_the_environment_given(tmp_path):
    path = tmp_path / "cameras.yaml"
    path.write_text(registry_text(camera_yaml("A", "rtsp://u:${CAM_PW}@10.0.0.1/a")),
                    encoding="utf-8")
    reg = load_registry(path, env={"CAM_PW": "s3cret"})
    assert reg.problems == [] and reg.cameras["A"].main.url == "rtsp://u:s3cret@10.0.0.1/a"


def test_a_duplicate_key_names_the_camera():
    text = camera("name: Other\nname: Third")
    p = one(parse(text))
    cam_line = line_of(registry_text(text), "- id: C-1")
    assert (p.camera, p.field, p.line) == (f"#1 (line {cam_line})", "name",
                                           line_of(registry_text(text), "name: Third"))
    assert p.message == "duplicate key 'name' (the first one is used)"


def test_a_conflicting_recorder_is_named_at_its_id_line():
    first = camera("recorder: {room: Cabin, retention_days: 30, id: NVR-1}", "A")
    second = camera("recorder:\n  room: Other room\n  retention_days: 30\n  id: NVR-1", "B")
    text = registry_text(first + second)
    p = one(parse(first + second))
    assert p.field == "recorder.id" and p.line == line_of(text, "id: NVR-1")


def test_a_footprint_point_out_of_range():
    reg = parse("", sites=site_with(pts((L, 88.3610), (L, -180.5), (L + 0.001, 88.3620))))
    assert [(p.field, p.message) for p in reg.problems] == [
        ("footprint[2].lon", "-180.5° is out of range (-180 to 180°)")]


def test_map_problems_name_their_line_and_field():
    text = registry_text(POLICE, extra_top="map: osm\n")
    p = one(parse_registry(text, file="r"))
    assert (p.line, p.field, p.entity) == (line_of(text, "map:"), "map", "map")
    text = registry_text(POLICE, extra_top="map:\n  zoom: 30\n")
    p = one(parse_registry(text, file="r"))
    assert (p.line, p.field, p.entity) == (line_of(text, "zoom:"), "map.zoom", "map")


def test_division_problems():
    reg = parse_registry("version: 1\ndivisions:\n  - just text\n  - {name: No id}\n"
                         "  - {id: d1}\n", file="r")
    assert [(p.line, p.entity, p.field, p.message) for p in reg.problems] == [
        (3, "division", None, "a division must be a mapping (key: value), got text"),
        (4, "division", "id", "missing required field 'id'"),
        (5, "division d1", "name", "missing required field 'name'")]
    assert reg.divisions == {}


def test_station_problems_name_the_station():
    text = ("version: 1\ndivisions:\n  - id: d1\n    name: D1\n    stations:\n"
            "      - just text\n      - {id: s1, colour: red}\n      - {id: s2, name: S2}\n"
            "  - id: d1\n    name: Again\n")
    reg = parse_registry(text, file="r")
    assert [(p.line, p.entity, p.field, p.message.split(";")[0]) for p in reg.problems] == [
        (6, "division d1 station", None, "a police station must be a mapping (key: value), "
                                         "got text"),
        (7, "station s1", "colour", "unknown key 'colour'"),
        (7, "station s1", "name", "missing required field 'name'"),
        (9, "division d1", "id", "duplicate division id 'd1' (first defined at line 3)")]
    assert list(reg.stations) == ["s2"]


def test_site_problems_name_the_site():
    sites = """\
  - just text
  - id: mall
    kind: mall
    colour: red
    address: Road 1
    contact: {name: Guard, phone: "1"}
"""
    text = registry_text("", sites=sites)
    reg = parse("", sites=sites)
    assert [(p.line, p.entity, p.field, p.message.split(";")[0]) for p in reg.problems] == [
        (line_of(text, "- just text"), "site", None, "a site must be a mapping (key: value), "
                                                     "got text"),
        (line_of(text, "colour:"), "site mall", "colour", "unknown key 'colour'"),
        (line_of(text, "- id: mall"), "site mall", "name", "missing required field 'name'"),
        (line_of(text, "- id: mall"), "site mall", "station", "missing required field 'station'"),
        (line_of(text, "- id: mall"), "site mall", "owner", "missing required field 'owner'"),
        (line_of(text, "- id: mall"), "site mall", "location",
         "missing required field 'location' (lat, lon)")]
    assert reg.sites == {}


def test_a_site_is_loaded_whole():
    site = parse().sites["south-city-mall"]
    assert (site.name, site.kind, site.station, site.owner, site.address) == (
        "South City Mall", "mall", "jadavpur", "Demo Owner Pvt Ltd", "375 Prince Anwar Shah Rd")
    assert site.contact == registry_mod.Contact("Security control room", "+91 98300 00000")
    assert site.location == registry_mod.Location(22.5014, 88.3616) and site.footprint is None


def test_contact_and_duplicate_site_problems():
    base = registry_text().split("sites:\n")[1].split("cameras:")[0]
    bad_contact = base.replace('contact: {name: Security control room, phone: "+91 98300 00000"}',
                               'contact: {name: Guard, phone: "1", email: a@b}')
    reg = parse("", sites=bad_contact)
    p = one(reg)
    assert (p.entity, p.field) == ("site south-city-mall", "contact.email")
    other = base.replace("south-city-mall", "other-mall")
    sites = base + base.replace("South City Mall", "Copy") + other
    text = registry_text("", sites=sites)
    reg = parse("", sites=sites)
    p = one(reg)
    assert (p.line, p.field, p.message) == (line_of(text, "- id: south-city-mall", 1), "id",
                                            "duplicate site id 'south-city-mall' (first defined at line 9); "
                                            "this one is skipped")
    assert list(reg.sites) == ["south-city-mall", "other-mall"]
    reg = parse("", sites=base.replace('contact: {name: Security control room, phone: '
                                       '"+91 98300 00000"}', "contact: guard"))
    assert (one(reg).entity, one(reg).field) == ("site south-city-mall", "contact")


def test_camera_problems_are_on_the_line_of_the_field():
    cam = ("  - name: Late id\n    id: KP-1\n    ownership: police\n    station: nowhere\n"
           "    location: {lat: 22.5, lon: 88.3}\n    streams: {main: rtsp://h/a}\n")
    text = registry_text(POLICE + cam)
    reg = parse(POLICE + cam)
    p = one(reg)
    assert p.line == line_of(text, "id: KP-1") and p.field == "id"
    cam = cam.replace("KP-1", "KP-2")
    text = registry_text(cam)
    assert [(p.line, p.field) for p in parse(cam).problems] == [
        (line_of(text, "station: nowhere"), "station")]
    cam = cam.replace("ownership: police\n    station: nowhere",
                      "ownership: private\n    site: nowhere")
    text = registry_text(cam)
    assert [(p.line, p.field) for p in parse(cam).problems] == [
        (line_of(text, "site: nowhere"), "site")]
    p = one(parse(camera("coverage: 90")))
    assert (p.camera, p.field) == ("C-1", "coverage")


def test_relay_problems_are_on_their_lines():
    body = "address: rtsp://h:1\nserves:\n  cameras: [KP-1]\n  bogus: [x]"
    hub = relays(relay(body), relay(HUB), relay(HUB + "\nuser: console", "hub-2"))
    text = registry_text(POLICE) + hub
    reg = parse(extra=hub)
    assert [(p.line, p.field, p.message.split(";")[0]) for p in reg.problems] == [
        (line_of(text, "bogus:"), "serves.bogus", "unknown key 'bogus'"),
        (line_of(text, "- id: hub-1", 1), "id", "duplicate relay id 'hub-1'"),
        (line_of(text, "- id: hub-2"), None, "give 'user' and 'password' together (or neither)")]
    assert list(reg.relays) == ["hub-1"]
    hub = relays(relay("address: rtsp://h:1\nserves:\n  - KP-1"))
    text = registry_text(POLICE) + hub
    p = one(parse(extra=hub))
    assert (p.line, p.field) == (line_of(text, "serves:"), "serves")
    hub = relays(relay("address: rtsp://h:1\nserves:\n  cameras: []"))
    text = registry_text(POLICE) + hub
    p = one(parse(extra=hub))
    assert (p.line, p.field, p.entity) == (line_of(text, "serves:"), "serves", "relay hub-1")


def test_an_unknown_name_in_serves_is_quoted_short():
    name = "x" * 60
    p = one(parse(extra=relays(relay(f"address: rtsp://h:1\nserves: {{cameras: [KP-1, {name}]}}"))))
    assert p.message == f"'serves.cameras': unknown camera '{'x' * 40}' (ignored)"


def test_a_number_used_twice_is_reported_on_its_line():
    first = camera("number: 7", "A")
    second = camera("number: 7", "B")
    text = registry_text(first + second)
    p = one(parse(first + second))
    assert (p.line, p.field) == (line_of(text, "number: 7", 1), "number")
