"""[harden]: property-based fuzzing of cameras.yaml. Whatever the text, the loader either
returns a registry whose every problem names the file and a line, or raises
RegistryFileError naming the file; it never raises anything else. (How long a load takes is
for the benchmark; each example here is small.)"""
from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.registry import RegistryFileError, parse_registry
from tests.conftest import camera_yaml, registry_text

FILE = "fuzz.yaml"
BASE = registry_text(camera_yaml("CAM-1", "rtsp://10.0.0.1/a")
                     + camera_yaml("CAM-2", "demo://junction?size=sub"))

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
                    st.sampled_from(["", "rtsp://", "${NOPE}", "[", "{", "*x", "&x", "!!python/"
                                     "object:os.system", "22.5,88.3", "yes", "~"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
FIELDS = ["id", "name", "ownership", "station", "site", "location", "coverage", "streams",
          "recorder", "level", "indoor", "ptz", "position_accuracy_m", "access", "tags", "number"]


def check(text: str) -> None:
    try:
        reg = parse_registry(text, file=FILE)
    except RegistryFileError as exc:
        assert str(exc).startswith(FILE), str(exc)
        return
    for p in reg.problems:
        assert p.file == FILE and p.line >= 1, p
        assert str(p).startswith(f"{FILE}:{p.line}"), str(p)


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_a_registry_or_a_clear_file_error(text):
    check(text)


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=values, where=st.integers(0, 1))
def test_any_value_in_any_camera_field_is_a_named_problem(field, value, where):
    data = yaml.safe_load(BASE)
    data["cameras"][where][field] = value
    check(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(section=st.sampled_from(["divisions", "sites", "map", "relays", "version", "extra"]),
       value=values)
def test_any_value_in_any_section_is_a_named_problem(section, value):
    data = yaml.safe_load(BASE)
    data[section] = value
    check(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(BASE)), junk=st.text(max_size=20))
def test_a_damaged_file_is_a_registry_or_a_clear_file_error(cut, junk):
    check(BASE[:cut] + junk + BASE[cut:])
