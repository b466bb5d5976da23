"""Stream addresses (app/urls.py): the cases mutation testing found untested.

Each test states a behaviour an officer or the registry's author relies on: which secrets
are hidden, which addresses are refused and with what message, how paths resolve."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.urls import SCHEMES, Source, UrlError, mask, parse_source, substitute_env


# -- ${ENV} substitution ------------------------------------------------------------------------
def test_substitution_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("NAZAR_TEST_PW", "s3cret")
    assert substitute_env("rtsp://u:${NAZAR_TEST_PW}@h/x") == "rtsp://u:s3cret@h/x"


def test_every_missing_variable_is_named_once_in_order():
    with pytest.raises(UrlError) as err:
        substitute_env("${B}:${A}@${B}/${OK}", {"OK": "1"})
    assert str(err.value) == "environment variable ${B}, ${A} is not set"


def test_only_braced_names_are_substituted():
    env = {"PW": "x", "_U1": "y"}
    assert substitute_env("$PW ${_U1} ${1PW} ${P-W}", env) == "$PW y ${1PW} ${P-W}"


def test_an_empty_value_is_a_value_not_a_missing_variable():
    assert substitute_env("a${E}b", {"E": ""}) == "ab"


# -- masking ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["pass", "Passwd", "pas", "pwd", "pw", "PW", "token", "apitoken",
                                 "secret", "auth", "authkey", "key", "sig", "signature",
                                 " pwd "])
def test_secret_parameter_names(key):
    assert mask(f"http://h/x?a=1&{key}=v4lue") == f"http://h/x?a=1&{key}=***"


@pytest.mark.parametrize("key", ["user", "ch", "pwx", "stream", "p", "w"])
def test_ordinary_parameters_are_shown(key):
    url = f"http://h/x?{key}=v4lue&n=2"
    assert mask(url) == url


def test_a_parameter_without_a_value_is_kept_as_it_is():
    assert mask("http://h/x?password&pwd=a&pwd=") == "http://h/x?password&pwd=***&pwd=***"


def test_an_at_sign_in_the_query_is_not_a_login():
    url = "http://10.0.0.5/x?mail=ops@police.in&n=1"
    assert mask(url) == url


def test_the_password_before_a_query_is_hidden_but_the_query_kept():
    assert mask("http://u:pw@h/x?n=1&mail=a@b") == "http://u:***@h/x?n=1&mail=a@b"


def test_user_only_credentials_are_hidden_whole():
    assert mask("rtsp://tok3n@h/x") == "rtsp://***@h/x"
    assert mask("rtsp://tok3n@h") == "rtsp://***@h"


def test_a_password_with_a_slash_and_no_colon_after_it_is_still_hidden():
    assert mask("rtsp://u:a/b/c@h:554/x") == "rtsp://u:***@h:554/x"


def test_text_without_a_scheme_is_not_touched():
    for text in ("/srv/clips/u:pw@x.mp4", "clips/a.mp4", ""):
        assert mask(text) == text


def test_the_scheme_and_an_empty_query_are_kept():
    assert mask("RTSPS://u:pw@h/x?") == "RTSPS://u:***@h/x?"


@pytest.mark.parametrize("url, shown", [
    ("rtsp://h/ch1;pwd=s3", "rtsp://h/ch1;pwd=***"),
    ("rtsp://h/ch1;user=a;pwd=s3;x=1", "rtsp://h/ch1;user=a;pwd=***;x=1"),
    ("rtsp://h/ch1;user=a;token=t&pwd=p", "rtsp://h/ch1;user=a;token=***&pwd=***"),
    ("rtsp://h/ch1;pwd=s3?token=t", "rtsp://h/ch1;pwd=***?token=***"),
    ("rtsp://h/pwd=s3/ch1", "rtsp://h/pwd=s3/ch1"),  # only ;key=value is a parameter
])
def test_path_parameters(url, shown):
    assert mask(url) == shown


# -- sources ------------------------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["rtsp", "rtsps", "http", "https"])
def test_network_sources(scheme):
    src = parse_source(f"{scheme}://10.0.0.5/x")
    assert src.kind == scheme and src.is_network
    with pytest.raises(ValueError, match="not a file source"):
        _ = src.path


def test_demo_and_file_sources_are_not_network(tmp_path):
    assert not parse_source("demo://junction").is_network
    assert not parse_source(str(tmp_path / "a.mp4")).is_network


def test_file_url_gives_its_path():
    src = parse_source("file:///srv/clips/gate.mp4")
    assert src == Source("file", "/srv/clips/gate.mp4", "file:///srv/clips/gate.mp4")
    assert src.path == Path("/srv/clips/gate.mp4")
    assert Source("file", "file:///srv/a.mp4", "x").path == Path("/srv/a.mp4")


def test_file_url_without_a_path_is_refused():
    with pytest.raises(UrlError, match="^file:// URL has no path$"):
        parse_source("file://")


def test_a_relative_path_is_relative_to_the_registry(tmp_path):
    src = parse_source("clips/gate.mp4", base_dir=tmp_path)
    assert src.kind == "file" and src.path == tmp_path / "clips" / "gate.mp4"
    assert src.display == "clips/gate.mp4"
    assert parse_source("clips/gate.mp4").path == Path("clips/gate.mp4")
    assert parse_source("/srv/gate.mp4", base_dir=tmp_path).path == Path("/srv/gate.mp4")


def test_a_home_path_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_source("~/gate.mp4", base_dir=Path("/elsewhere")).path == tmp_path / "gate.mp4"


def test_surrounding_blanks_are_ignored():
    src = parse_source("  rtsp://u:${PW}@h/x \n", env={"PW": "pw"})
    assert src.url == "rtsp://u:pw@h/x" and src.display == "rtsp://u:***@h/x"


@pytest.mark.parametrize("raw", ["", "   ", None, 554, ["rtsp://h/x"]])
def test_not_an_address(raw):
    with pytest.raises(UrlError, match="^must be a non-empty string$"):
        parse_source(raw)


def test_scheme_is_case_insensitive():
    src = parse_source("RTSP://10.0.0.5/x")
    assert src.kind == "rtsp" and src.url == "RTSP://10.0.0.5/x"


def test_unsupported_scheme_lists_the_supported_ones():
    with pytest.raises(UrlError) as err:
        parse_source("ftp://10.0.0.5/x")
    assert str(err.value) == ("unsupported scheme 'ftp://' (use one of: "
                              + ", ".join(f"{s}://" for s in SCHEMES) + ")")
    assert all(f"{s}://" in str(err.value) for s in ("rtsp", "http", "file", "demo"))


@pytest.mark.parametrize("raw", ["demo://", "demo:///", "demo://?size=sub"])
def test_demo_without_a_scene(raw):
    with pytest.raises(UrlError, match="needs a scene name"):
        parse_source(raw)


@pytest.mark.parametrize("raw, scene", [("demo://junction", "junction"),
                                        ("demo://city/junction/?fps=5", "city/junction")])
def test_demo_scene(raw, scene):
    src = parse_source(raw)
    assert src.kind == "demo" and src.url == raw and src.demo_params()[0] == scene


def test_demo_resolves_the_environment():
    src = parse_source("demo://${SCENE}", env={"SCENE": "junction"})
    assert src.url == "demo://junction" and src.display == "demo://${SCENE}"


@pytest.mark.parametrize("raw", ["rtsp:///x", "http://:80/x", "rtsp://u:pw@/x"])
def test_network_address_without_a_host(raw):
    with pytest.raises(UrlError, match="^URL has no host$"):
        parse_source(raw)


@pytest.mark.parametrize("raw", ["rtsp://10.0.0.5:abc/x", "rtsp://10.0.0.5:99999/x",
                                 "rtsp://u:${PW}@10.0.0.5:5x4/x"])
def test_a_mistyped_port_is_named(raw):
    with pytest.raises(UrlError, match="^bad port: "):
        parse_source(raw, env={"PW": "pw"})


def test_port_zero_is_refused():
    with pytest.raises(UrlError, match="^bad port: 0$"):
        parse_source("rtsp://10.0.0.5:0/x")


def test_a_port_that_only_the_password_breaks_asks_for_percent_encoding():
    with pytest.raises(UrlError) as err:
        parse_source("rtsp://admin:${PW}@10.0.0.5:554/x", env={"PW": "ab/c:d"})
    assert str(err.value).startswith("bad host or port (a password containing")
    assert "ab" not in str(err.value).replace("about", "")


def test_a_valid_port_is_kept():
    src = parse_source("rtsp://u:pw@10.0.0.5:8554/x")
    assert src == Source("rtsp", "rtsp://u:pw@10.0.0.5:8554/x", "rtsp://u:***@10.0.0.5:8554/x")


def test_demo_scene_keeps_its_own_letters():
    assert parse_source("demo://city/BOX/").demo_params() == ("city/BOX", {})
