"""Units for app/cap.py: CAP 1.2 in (parse_cap) and out (incident_to_cap), no Qt."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import app.cap as cap  # noqa: E402
from app.cap import (CATEGORY_KIND, DEFAULT_RADIUS_M, MAX_BYTES, MAX_RADIUS_M,  # noqa: E402
                     NS, SEVERITY_PRIORITY, URGENCY_STEP, CapError, CapMessage, CapRef,
                     incident_to_cap, kind_for, parse_cap, parse_circle, parse_polygon,
                     parse_references, polygon_centre, priority_for)

CAP_DIR = Path(__file__).resolve().parent / "data" / "cap"
KINDS = ("fire", "law_and_order", "crowd", "other")
# Deterministic: the same examples on every run and machine, no example database.
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=200)


def data(name: str) -> bytes:
    return (CAP_DIR / name).read_bytes()


def alert_xml(*, identifier: str | None = "KP-1", sender: str | None = "dispatch@x.example",
              sent: str | None = "2026-12-01T10:00:00+05:30", status: str | None = "Actual",
              msg_type: str | None = "Alert", references: str | None = None,
              note: str | None = None, categories: tuple[str, ...] = ("Fire",),
              severity: str | None = "Severe", urgency: str | None = "Immediate",
              description: str | None = None, area_desc: str | None = "Somewhere",
              circle: str | None = "22.5,88.3 0.1", polygon: str | None = None,
              raw: frozenset[str] = frozenset()) -> str:
    """One CAP alert; a field given as None is left out; names in `raw` are not escaped."""
    def el(tag: str, value: str | None) -> str:
        if value is None:
            return ""
        return f"<{tag}>{value if tag in raw else escape(value)}</{tag}>"
    area = el("areaDesc", area_desc) + el("circle", circle) + el("polygon", polygon)
    info = ("".join(el("category", c) for c in categories) + el("event", "Something")
            + el("urgency", urgency) + el("severity", severity) + el("certainty", "Observed")
            + el("description", description) + (f"<area>{area}</area>" if area else ""))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="{NS}">'
            + el("identifier", identifier) + el("sender", sender) + el("sent", sent)
            + el("status", status) + el("msgType", msg_type) + el("scope", "Restricted")
            + el("note", note) + el("references", references)
            + f"<info>{info}</info></alert>")


def refused(payload: bytes | str, *fragments: str) -> str:
    with pytest.raises(CapError) as exc:
        parse_cap(payload)
    text = str(exc.value)
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    return text


# -- a full Alert ------------------------------------------------------------------------------
def test_the_south_city_mall_fire_alert_field_by_field():
    msg = parse_cap(data("south-city-mall-fire.xml"))
    assert isinstance(msg, CapMessage)
    assert msg.ref == CapRef("dispatch@112.kolkata.example", "KP-112-2026-000481")
    assert msg.ref.key == "dispatch@112.kolkata.example,KP-112-2026-000481"
    # 19:42:10 in India (+05:30) is 14:12:10 UTC
    assert msg.sent == datetime(2026, 12, 1, 14, 12, 10, tzinfo=timezone.utc)
    assert msg.sent.utcoffset() == timedelta(0)
    assert msg.status == "Actual" and msg.exercise is False
    assert msg.msg_type == "Alert"
    assert msg.references == ()
    assert msg.kind == "fire"
    assert msg.priority == 5  # Extreme, Immediate
    assert msg.event == "Fire in shopping mall"
    assert msg.headline == "Fire reported at South City Mall, smoke on level 3"
    assert msg.point == pytest.approx((22.5014, 88.3616))
    assert msg.radius_m == pytest.approx(250.0)
    assert msg.polygon == ()
    assert msg.area_desc == "South City Mall"
    # no <note>: the note is the <description>
    assert msg.note == "Caller reports smoke near the food court; people inside."
    assert msg.warnings == ()


def test_str_and_bytes_give_the_same_message():
    raw = data("south-city-mall-fire.xml")
    assert parse_cap(raw.decode("utf-8")) == parse_cap(raw) == parse_cap(bytearray(raw))


def test_note_wins_over_description_and_is_cut_at_2000_chars():
    msg = parse_cap(alert_xml(note="the note", description="the description"))
    assert msg.note == "the note"
    assert parse_cap(alert_xml(description="only this")).note == "only this"
    assert parse_cap(alert_xml()).note == ""
    assert parse_cap(alert_xml(note="n" * 5000)).note == "n" * 2000


def test_sent_with_minus_zero_is_utc():
    msg = parse_cap(data("test-park-street.xml"))
    assert msg.sent == datetime(2026, 12, 1, 3, 0, 0, tzinfo=timezone.utc)
    west = parse_cap(alert_xml(sent="2026-12-01T22:30:00.250-07:00"))
    assert west.sent == datetime(2026, 12, 2, 5, 30, 0, 250000, tzinfo=timezone.utc)


def test_exercise_alert_without_a_circle_keeps_its_area_desc_and_note():
    msg = parse_cap(data("exercise-quest-mall.xml"))
    assert msg.status == "Exercise" and msg.exercise is True
    assert msg.kind == "crowd"
    assert msg.priority == 2  # Moderate 3, Expected -1
    assert msg.point is None and msg.radius_m is None
    assert msg.area_desc == "Quest Mall"
    assert msg.note == "Quarterly crowd-control drill"


# -- priority and type tables ------------------------------------------------------------------
def test_the_tables_are_as_documented():
    assert CATEGORY_KIND == {"Fire": "fire", "Security": "law_and_order", "Safety": "crowd"}
    assert SEVERITY_PRIORITY == {"Extreme": 5, "Severe": 4, "Moderate": 3, "Minor": 2,
                                 "Unknown": 3}
    assert URGENCY_STEP == {"Immediate": 0, "Expected": -1, "Future": -2, "Unknown": 0}
    assert DEFAULT_RADIUS_M == 250.0 and MAX_RADIUS_M == 2000.0
    assert MAX_BYTES == 256 * 1024


# The module docstring's table written out by hand: severity -> urgency -> priority.
PRIORITY_TABLE = {
    "Extreme": {"Immediate": 5, "Expected": 4, "Future": 3, "Unknown": 5, "Past": 1},
    "Severe": {"Immediate": 4, "Expected": 3, "Future": 2, "Unknown": 4, "Past": 1},
    "Moderate": {"Immediate": 3, "Expected": 2, "Future": 1, "Unknown": 3, "Past": 1},
    "Minor": {"Immediate": 2, "Expected": 1, "Future": 1, "Unknown": 2, "Past": 1},
    "Unknown": {"Immediate": 3, "Expected": 2, "Future": 1, "Unknown": 3, "Past": 1},
}
PRIORITY_CASES = [(sev, urg, p) for sev, row in PRIORITY_TABLE.items() for urg, p in row.items()]


@pytest.mark.parametrize("severity, urgency, priority", PRIORITY_CASES)
def test_priority_table(severity, urgency, priority):
    assert priority_for(severity, urgency) == priority
    # and the same read from a whole message
    assert parse_cap(alert_xml(severity=severity, urgency=urgency)).priority == priority


def test_priority_table_covers_every_pair():
    assert len(PRIORITY_CASES) == 25
    assert set(PRIORITY_TABLE) == set(SEVERITY_PRIORITY)
    assert {u for row in PRIORITY_TABLE.values() for u in row} == set(URGENCY_STEP) | {"Past"}


@pytest.mark.parametrize("severity, urgency, priority", [
    ("Minor", "Future", 1),  # 2 - 2 = 0, kept at 1
    ("Bogus", "Immediate", 3),  # an unknown severity counts as Unknown
    ("", "", 3),  # neither given
    ("Extreme", "Bogus", 5),  # an unknown urgency steps by 0
])
def test_priority_defaults_and_lower_clamp(severity, urgency, priority):
    assert priority_for(severity, urgency) == priority


def test_priority_missing_severity_and_urgency_elements():
    assert parse_cap(alert_xml(severity=None, urgency=None)).priority == 3


def test_priority_is_clamped_to_one_to_five(monkeypatch):
    monkeypatch.setitem(URGENCY_STEP, "Immediate", 3)
    monkeypatch.setitem(URGENCY_STEP, "Future", -9)
    assert priority_for("Extreme", "Immediate") == 5  # 8 -> 5
    assert priority_for("Minor", "Immediate") == 5  # 5
    assert priority_for("Moderate", "Future") == 1  # -6 -> 1
    for sev in SEVERITY_PRIORITY:
        for urg in (*URGENCY_STEP, "Past", "Bogus"):
            assert 1 <= priority_for(sev, urg) <= 5


@pytest.mark.parametrize("categories, kind", [
    (["Fire"], "fire"),
    (["Security"], "law_and_order"),
    (["Safety"], "crowd"),
    (["Other"], "other"),
    (["Met"], "other"),
    (["Rescue"], "other"),
    (["fire"], "other"),  # CAP's values are case-sensitive
    ([], "other"),
    (["Met", "Fire"], "fire"),
    (["Other", "Security", "Fire"], "law_and_order"),
    (["Safety", "Fire"], "crowd"),
    (["Fire", "Safety"], "fire"),
    (["Geo", "Health", "Env"], "other"),
])
def test_category_table(categories, kind):
    assert kind_for(categories) == kind
    assert parse_cap(alert_xml(categories=tuple(categories))).kind == kind


# -- area: circle and polygon ------------------------------------------------------------------
def test_parse_circle_reads_point_and_kilometres():
    assert parse_circle("22.5014,88.3616 0.25") == ((22.5014, 88.3616), 0.25)
    assert parse_circle("-33.9,18.4 0") == ((-33.9, 18.4), 0.0)


@pytest.mark.parametrize("text, fragment", [
    ("22.5,88.3", "latitude,longitude radius-km"),
    ("22.5,88.3 1 2", "latitude,longitude radius-km"),
    ("22.5;88.3 1", "latitude,longitude"),
    ("north,88.3 1", "latitude,longitude"),
    ("95,88.3 1", "outside WGS 84"),
    ("22.5,181 1", "outside WGS 84"),
    ("nan,88.3 1", "outside WGS 84"),
    ("22.5,88.3 far", "not a number"),
    ("22.5,88.3 -1", "0 or more"),
    ("22.5,88.3 inf", "0 or more"),
    ("22.5,88.3 nan", "0 or more"),
])
def test_parse_circle_refuses(text, fragment):
    with pytest.raises(CapError, match=fragment):
        parse_circle(text)


def test_circle_of_radius_zero_searches_the_default_radius():
    msg = parse_cap(alert_xml(circle="22.5,88.3 0"))
    assert msg.point == pytest.approx((22.5, 88.3))
    assert msg.radius_m == DEFAULT_RADIUS_M
    assert msg.warnings == ()


def test_a_5_km_circle_is_searched_as_max_radius_with_a_warning():
    msg = parse_cap(alert_xml(circle="22.5,88.3 5"))
    assert msg.radius_m == MAX_RADIUS_M
    assert len(msg.warnings) == 1
    assert "5 km" in msg.warnings[0] and f"{MAX_RADIUS_M / 1000:g} km" in msg.warnings[0]


def test_a_circle_of_exactly_max_radius_is_not_clamped():
    msg = parse_cap(alert_xml(circle=f"22.5,88.3 {MAX_RADIUS_M / 1000:g}"))
    assert msg.radius_m == pytest.approx(MAX_RADIUS_M) and msg.warnings == ()
    assert parse_cap(alert_xml(circle="22.5,88.3 0.5")).radius_m == pytest.approx(500.0)


def test_lat_95_in_a_circle_is_refused():
    refused(alert_xml(circle="95,88.3 0.1"), "<circle>", "outside WGS 84")


def test_polygon_gives_its_centre_and_no_radius():
    msg = parse_cap(data("test-park-street.xml"))
    assert msg.point == pytest.approx((22.5520, 88.3560))
    assert msg.radius_m is None
    assert len(msg.polygon) == 5 and msg.polygon[0] == msg.polygon[-1]
    assert msg.area_desc == "Park Street crossing (test)"
    assert msg.kind == "law_and_order" and msg.priority == 3


def test_parse_polygon_and_centre():
    pts = parse_polygon("0,0 0,2 4,2 4,0 0,0")
    assert pts == ((0.0, 0.0), (0.0, 2.0), (4.0, 2.0), (4.0, 0.0), (0.0, 0.0))
    # the closing point counts once: (0+0+4+4)/4, (0+2+2+0)/4
    assert polygon_centre(pts) == pytest.approx((2.0, 1.0))
    tri = parse_polygon("0,0 0,3 3,0 0,0")
    assert polygon_centre(tri) == pytest.approx((1.0, 1.0))


@pytest.mark.parametrize("text", [
    "0,0 0,2 4,2 4,0",  # not closed
    "0,0 0,2 4,2 4,0 0,0.0001",  # not closed
    "0,0 1,1 0,0",  # closed but only three points
    "0,0",
])
def test_polygon_not_closed_or_too_short_is_refused(text):
    with pytest.raises(CapError, match="four or more points"):
        parse_polygon(text)
    refused(alert_xml(circle=None, polygon=text), "<polygon>")


def test_polygon_with_a_bad_point_is_refused():
    refused(alert_xml(circle=None, polygon="0,0 0,200 4,2 0,0"), "outside WGS 84")


def test_circle_wins_over_polygon():
    msg = parse_cap(alert_xml(circle="10,20 1", polygon="0,0 0,2 4,2 4,0 0,0"))
    assert msg.point == pytest.approx((10.0, 20.0)) and msg.polygon == ()


def test_alert_without_any_area_is_refused():
    refused(data("no-area.xml"), "needs an <area>")
    refused(alert_xml(area_desc=None, circle=None), "needs an <area>")
    # an areaDesc alone is enough (a registry site's name)
    assert parse_cap(alert_xml(circle=None, area_desc="Quest Mall")).point is None


# -- references, Update, Cancel ----------------------------------------------------------------
def test_references_two_refs_separated_by_whitespace():
    refs = parse_references("a@x,ID-1,2026-12-01T19:42:10+05:30 \n\t b@y,ID-2,"
                            "2026-12-01T19:51:40+05:30")
    assert refs == (CapRef("a@x", "ID-1"), CapRef("b@y", "ID-2"))
    assert [r.key for r in refs] == ["a@x,ID-1", "b@y,ID-2"]
    assert parse_references("") == () and parse_references("   ") == ()


@pytest.mark.parametrize("text", [
    "a@x,ID-1",  # no sent
    "a@x,ID-1,2026-12-01T19:42:10+05:30,extra",
    ",ID-1,2026-12-01T19:42:10+05:30",  # no sender
    "a@x,,2026-12-01T19:42:10+05:30",  # no identifier
    "a@x,ID-1,2026-12-01T19:42:10+05:30 junk",  # the second one malformed
])
def test_malformed_reference_is_refused(text):
    with pytest.raises(CapError, match="sender,identifier,sent"):
        parse_references(text)
    refused(alert_xml(msg_type="Update", references=text), "<references>")


def test_cancel_with_two_references():
    msg = parse_cap(data("south-city-mall-cancel.xml"))
    assert msg.msg_type == "Cancel"
    assert msg.references == (CapRef("dispatch@112.kolkata.example", "KP-112-2026-000481"),
                              CapRef("dispatch@112.kolkata.example", "KP-112-2026-000482"))
    assert msg.note == "Fire under control; incident closed by the fire brigade."
    assert msg.point is None  # a Cancel needs no area


def test_update_moves_and_widens():
    msg = parse_cap(data("south-city-mall-update.xml"))
    assert msg.msg_type == "Update"
    assert msg.references == (CapRef("dispatch@112.kolkata.example", "KP-112-2026-000481"),)
    assert msg.point == pytest.approx((22.5025, 88.3616))
    assert msg.radius_m == pytest.approx(500.0)
    assert msg.note == "Fire spreading to the multiplex side; perimeter widened."


@pytest.mark.parametrize("msg_type", ["Update", "Cancel"])
def test_update_and_cancel_without_references_are_refused(msg_type):
    refused(alert_xml(msg_type=msg_type), f"msgType {msg_type}", "<references>")
    refused(alert_xml(msg_type=msg_type, references="  "), "<references>")


# -- status and msgType ------------------------------------------------------------------------
@pytest.mark.parametrize("status, exercise", [("Actual", False), ("Exercise", True),
                                              ("Test", True)])
def test_exercise_and_test_are_exercises(status, exercise):
    msg = parse_cap(alert_xml(status=status))
    assert msg.status == status and msg.exercise is exercise


def test_test_file_is_an_exercise():
    assert parse_cap(data("test-park-street.xml")).exercise is True
    assert parse_cap(data("exercise-quest-mall.xml")).exercise is True
    assert parse_cap(data("south-city-mall-fire.xml")).exercise is False


@pytest.mark.parametrize("status", ["System", "Draft"])
def test_system_and_draft_are_refused(status):
    refused(alert_xml(status=status), f"status {status}", "not for the wall")


def test_the_draft_file_is_refused():
    refused(data("draft.xml"), "status Draft")


@pytest.mark.parametrize("msg_type", ["Ack", "Error"])
def test_ack_and_error_are_refused(msg_type):
    refused(alert_xml(msg_type=msg_type, references="a,b,c"), f"msgType {msg_type}",
            "nothing for the wall")


@pytest.mark.parametrize("field, value, fragment", [
    ("status", "Real", "<status> 'Real'"),
    ("status", "actual", "<status>"),
    ("msg_type", "Alarm", "<msgType> 'Alarm'"),
])
def test_unknown_status_or_msg_type_is_refused(field, value, fragment):
    refused(alert_xml(**{field: value}), fragment)


# -- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml"])
def test_entity_bombs_and_external_entities_are_refused(name):
    text = refused(data(name), "DTD or entities")
    assert "lollol" not in text and "root:" not in text


def test_an_internal_dtd_without_entities_is_refused_too():
    body = alert_xml().split("\n", 1)[1]
    refused('<?xml version="1.0"?>\n<!DOCTYPE alert>\n' + body, "DTD or entities")


def test_wrong_namespace_is_refused():
    refused(data("wrong-namespace.xml"), "cap:1.1", "not a CAP 1.2 <alert>", NS)
    refused("<alert><identifier>x</identifier></alert>", "not a CAP 1.2 <alert>")


@pytest.mark.parametrize("payload", [b"", b"<alert", b"not xml at all", b"\xff\xfe\x00<",
                                     f'<alert xmlns="{NS}"><identifier>a</alert>'.encode()])
def test_not_well_formed_xml_is_refused(payload):
    refused(payload, "not well-formed XML")


@pytest.mark.parametrize("field, tag", [("identifier", "identifier"), ("sender", "sender"),
                                        ("sent", "sent"), ("status", "status"),
                                        ("msg_type", "msgType")])
def test_missing_required_element_is_refused(field, tag):
    refused(alert_xml(**{field: None}), f"<{tag}> is missing")
    refused(alert_xml(**{field: "   "}), f"<{tag}> is missing")


@pytest.mark.parametrize("sent", [
    "2026-12-01T10:00:00",  # no time zone
    "2026-12-01T10:00:00Z",  # CAP wants -00:00, not Z
    "2026-12-01 10:00:00+05:30",
    "2026-12-01",
    "01/12/2026 10:00",
])
def test_sent_without_a_cap_time_zone_is_refused(sent):
    refused(alert_xml(sent=sent), "<sent>", "2026-12-01T10:15:00+05:30")


@pytest.mark.parametrize("sent", ["2026-13-01T10:00:00+05:30", "2026-02-30T10:00:00+05:30",
                                  "2026-12-01T25:00:00+05:30", "2026-12-01T10:00:00+24:00"])
def test_sent_that_is_not_a_real_time_is_refused(sent):
    refused(alert_xml(sent=sent), "<sent>", "not a valid date and time")


@pytest.mark.parametrize("field", ["identifier", "sender"])
@pytest.mark.parametrize("value", ["KP 1", "KP,1", "KP<1", "KP&1", "x" * 201])
def test_identifier_or_sender_with_reserved_characters_is_refused(field, value):
    refused(alert_xml(**{field: value}), f"<{field}> must not contain")


def test_identifier_of_200_characters_is_fine():
    assert parse_cap(alert_xml(identifier="x" * 200)).ref.identifier == "x" * 200


def test_too_large_input_is_refused_before_parsing(monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("parsed a message over MAX_BYTES")
    monkeypatch.setattr(cap, "fromstring", no_parse)
    big = data("billion-laughs.xml") + b" " * MAX_BYTES
    text = refused(big, f"{len(big)} bytes", f"limited to {MAX_BYTES} bytes")
    assert "DTD" not in text
    # a str is measured in UTF-8 bytes, not characters
    wide = "\u0915" * (MAX_BYTES // 3 + 1)  # 3 bytes each
    assert len(wide) < MAX_BYTES
    refused(wide, f"limited to {MAX_BYTES} bytes")


def test_input_of_exactly_max_bytes_is_parsed():
    body = alert_xml()
    padded = (body + " " * (MAX_BYTES - len(body.encode()))).encode()
    assert len(padded) == MAX_BYTES
    assert parse_cap(padded).ref.identifier == "KP-1"
    refused(padded + b" ", "limited to")


# -- odd input that once escaped as other exceptions than CapError ----------------------------
@pytest.mark.parametrize("payload", [
    alert_xml(sent="0001-01-01T00:00:00+05:30"),  # UTC would be year 0: OverflowError
    alert_xml(sent="9999-12-31T23:59:59-05:00"),  # UTC would be year 10000: OverflowError
    '<?xml version="1.0" encoding="x-nope"?><alert/>',  # LookupError from expat
    alert_xml(note="\ud800"),  # a lone surrogate in a str: UnicodeEncodeError
], ids=["year-0", "year-10000", "unknown-encoding", "lone-surrogate"])
def test_odd_input_is_refused_as_cap_errors(payload):
    refused(payload)


@pytest.mark.parametrize("identifier", ["KP\t1", "KP\n1", "KP\u00a01"])
def test_an_identifier_with_any_whitespace_is_refused(identifier):
    # <references> are split on any whitespace, so no reference could ever name this alert
    refused(alert_xml(identifier=identifier), "<identifier> must not contain")


# -- incident_to_cap round trip ----------------------------------------------------------------
SENT = datetime(2026, 12, 1, 19, 42, 10, tzinfo=timezone(timedelta(hours=5, minutes=30)))
ROUND_TRIPS = [
    ("fire", 5, False, 250.0),
    ("fire", 1, True, 30.0),
    ("law_and_order", 4, False, 1234.5),
    ("law_and_order", 2, True, 2000.0),
    ("crowd", 3, False, 100.0),
    ("crowd", 1, False, 750.0),
    ("other", 5, True, 40.0),
    ("other", 3, False, 1999.0),
    ("other", 2, False, 1.0),
    ("fire", 4, True, 500.0),
]


def test_round_trip_cases_cover_every_kind_priority_and_flag():
    assert {k for k, *_ in ROUND_TRIPS} == set(KINDS)
    assert {p for _, p, *_ in ROUND_TRIPS} == {1, 2, 3, 4, 5}
    assert {e for _, _, e, _ in ROUND_TRIPS} == {True, False}


@pytest.mark.parametrize("kind, priority, exercise, radius_m", ROUND_TRIPS)
def test_incident_to_cap_round_trip(kind, priority, exercise, radius_m):
    xml = incident_to_cap(identifier="INC-42", sender="nazar@lalbazar.example", sent=SENT,
                          lat=22.5014, lon=88.3616, radius_m=radius_m, kind=kind,
                          priority=priority, exercise=exercise, area_desc="South City Mall",
                          note="smoke seen", headline="Fire at the mall")
    assert isinstance(xml, str) and xml.startswith("<?xml")
    msg = parse_cap(xml)
    assert msg.ref == CapRef("nazar@lalbazar.example", "INC-42")
    assert msg.sent == SENT and msg.sent.utcoffset() == timedelta(0)
    assert msg.msg_type == "Alert"
    assert msg.point == pytest.approx((22.5014, 88.3616), abs=1e-6)
    assert msg.radius_m == pytest.approx(radius_m, rel=1e-5)
    assert msg.kind == kind
    assert msg.priority == priority
    assert msg.exercise is exercise
    assert msg.status == ("Exercise" if exercise else "Actual")
    assert msg.area_desc == "South City Mall"
    assert msg.note == "smoke seen" and msg.headline == "Fire at the mall"
    assert msg.warnings == ()


def test_incident_to_cap_without_area_desc_names_the_point():
    xml = incident_to_cap(identifier="INC-1", sender="s", sent=SENT, lat=-12.5, lon=130.25,
                          radius_m=300, kind="crowd", priority=3, exercise=False, area_desc="")
    msg = parse_cap(xml)
    assert msg.area_desc == "-12.500000, 130.250000"
    assert msg.point == pytest.approx((-12.5, 130.25)) and msg.note == ""
    assert msg.event == "crowd"


def test_incident_to_cap_escapes_markup_in_text():
    xml = incident_to_cap(identifier="INC-1", sender="s", sent=SENT, lat=1, lon=2,
                          radius_m=300, kind="fire", priority=3, exercise=False,
                          area_desc="A & B <mall>", note="<b>x</b> & y")
    msg = parse_cap(xml)
    assert msg.area_desc == "A & B <mall>" and msg.note == "<b>x</b> & y"


@settings(derandomize=True, database=None, deadline=None, max_examples=100)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180),
       radius_m=st.floats(1, MAX_RADIUS_M), kind=st.sampled_from(KINDS),
       priority=st.integers(1, 5), exercise=st.booleans())
def test_incident_to_cap_round_trip_property(lat, lon, radius_m, kind, priority, exercise):
    msg = parse_cap(incident_to_cap(identifier="INC-1", sender="s", sent=SENT, lat=lat,
                                    lon=lon, radius_m=radius_m, kind=kind, priority=priority,
                                    exercise=exercise, area_desc="x"))
    assert msg.point == pytest.approx((lat, lon), abs=1e-6)
    assert msg.radius_m == pytest.approx(radius_m, rel=1e-5)
    assert (msg.kind, msg.priority, msg.exercise) == (kind, priority, exercise)


# -- fuzz: nothing but CapError ----------------------------------------------------------------
def parse_or_refuse(payload: bytes | str) -> CapMessage | None:
    """parse_cap's answer, None for a CapError; any other exception fails the test."""
    try:
        msg = parse_cap(payload)
    except CapError as exc:
        assert str(exc)  # always a reason
        return None
    assert isinstance(msg, CapMessage)
    assert msg.status in ("Actual", "Exercise", "Test")
    assert msg.msg_type in ("Alert", "Update", "Cancel")
    assert msg.kind in KINDS and 1 <= msg.priority <= 5
    if msg.point is not None:
        assert -90 <= msg.point[0] <= 90 and -180 <= msg.point[1] <= 180
    if msg.radius_m is not None:
        assert 0 < msg.radius_m <= MAX_RADIUS_M
    return msg


@FUZZ
@given(st.binary(max_size=2000))
def test_fuzz_bytes_raise_only_cap_error(payload):
    parse_or_refuse(payload)


@FUZZ
@given(st.text(max_size=2000))
def test_fuzz_text_raises_only_cap_error(payload):
    parse_or_refuse(payload)


FIELDS = ("identifier", "sender", "sent", "status", "msg_type", "references", "note",
          "severity", "urgency", "description", "area_desc", "circle", "polygon")
CAP_WORDS = st.sampled_from(["Actual", "Exercise", "Test", "Alert", "Update", "Cancel",
                             "Extreme", "Past", "Fire", "0", "1,2 3", "95,0 1", "a,b,c",
                             "0,0 0,1 1,1 0,0", "2026-12-01T10:00:00+05:30", "-0", "1e999",
                             "nan", ",", " ", "&amp;", "<x/>", "]]>", "<!--", "&#0;"])
FUZZ_VALUES = st.one_of(st.text(max_size=200), CAP_WORDS,
                        st.lists(CAP_WORDS, max_size=6).map(" ".join))


@FUZZ
@given(field=st.sampled_from(FIELDS), value=FUZZ_VALUES, unescaped=st.booleans(),
       msg_type=st.sampled_from(["Alert", "Update", "Cancel"]))
def test_fuzz_fields_of_an_alert_raise_only_cap_error(field, value, unescaped, msg_type):
    kwargs: dict = {"msg_type": msg_type, "references": "a,b,c"}
    kwargs[field] = value
    xml = alert_xml(**kwargs, raw=frozenset({field} if unescaped else ()))
    msg = parse_or_refuse(xml)
    if msg is not None and field in ("identifier", "sender"):
        got = msg.ref.identifier if field == "identifier" else msg.ref.sender
        assert got and not any(c in got for c in " ,<&")


@FUZZ
@given(lat=st.floats(), lon=st.floats(), km=st.floats())
def test_fuzz_circle_numbers(lat, lon, km):
    msg = parse_or_refuse(alert_xml(circle=f"{lat!r},{lon!r} {km!r}"))
    valid = -90 <= lat <= 90 and -180 <= lon <= 180 and km >= 0 and km != float("inf")
    assert (msg is not None) == valid
    if msg is not None:
        assert msg.point == (lat, lon)
        assert msg.radius_m == (min(km * 1000, MAX_RADIUS_M) if km > 0 else DEFAULT_RADIUS_M)
        assert bool(msg.warnings) == (km * 1000 > MAX_RADIUS_M)


def test_incident_to_cap_drops_control_characters_so_it_reads_back():
    xml = incident_to_cap(identifier="INC-7", sender="nazar@lalbazar.example", sent=SENT,
                          lat=22.5, lon=88.36, radius_m=250, kind="fire", priority=3,
                          exercise=False, area_desc="Mall\x01", note="bell\x07 rang",
                          headline="x\x1b[31m")
    back = parse_cap(xml)
    assert back.note == "bell rang" and back.area_desc == "Mall"
