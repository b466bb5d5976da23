"""[harden] camera and recorder logins from the OS keyring (app/credentials.py): read with a
real keyring backend (keyrings.alt's file backend in a temp directory, tests/support/
keyrings.py), put into the stream address percent-encoded, shown nowhere; a missing entry or
no keyring at all is a per-camera problem with the file and line, and the rest loads."""
from __future__ import annotations

from app.credentials import Credentials, with_login
from app.registry import load_registry
from tests.conftest import camera_yaml, registry_text

PW = "p@ss/w#rd:%é"  # every character a URL would need escaped


def keyed_camera(cam_id: str, url: str, service: str = "nazar-cams",
                 user: str = "viewer") -> str:
    return camera_yaml(cam_id, url) + f"    credentials: {{keyring: {service}, username: {user}}}\n"


def test_with_login_percent_encodes_and_refuses_a_second_user():
    assert with_login("rtsp://10.0.0.5:554/ch1?x=1", "vi ew", "a@b/c") == \
        "rtsp://vi%20ew:a%40b%2Fc@10.0.0.5:554/ch1?x=1"
    for bad in ("rtsp://u:p@10.0.0.5/ch1", "file:///x.mp4", "demo://junction"):
        try:
            with_login(bad, "u", "p")
        except ValueError:
            continue
        raise AssertionError(bad)


def test_a_camera_login_comes_from_the_keyring(file_keyring, write_yaml):
    file_keyring.set_password("nazar-cams", "viewer", PW)
    path = write_yaml(registry_text(
        keyed_camera("KEY-1", "rtsp://10.0.0.5:554/ch1/main")
        + camera_yaml("PLAIN-1", "rtsp://10.0.0.6/ch1")))
    reg = load_registry(path)
    assert reg.problems == []
    src = reg.cameras["KEY-1"].main
    assert src.url == "rtsp://viewer:p%40ss%2Fw%23rd%3A%25%C3%A9@10.0.0.5:554/ch1/main"
    assert src.display == "rtsp://viewer:***@10.0.0.5:554/ch1/main"
    assert reg.cameras["PLAIN-1"].main.url == "rtsp://10.0.0.6/ch1"
    assert PW not in path.read_text() and "p%40ss" not in path.read_text()


def test_a_recorder_login_serves_its_cameras(file_keyring, write_yaml):
    file_keyring.set_password("nazar-scm-nvr", "operator", "nvr-Secret-1")
    file_keyring.set_password("nazar-cams", "viewer", "own-Secret-2")
    sites = """\
  - id: south-city-mall
    name: South City Mall
    kind: mall
    station: jadavpur
    owner: Demo Owner Pvt Ltd
    contact: {name: Security control room, phone: "+91 98300 00000"}
    address: 375 Prince Anwar Shah Rd
    location: {lat: 22.5014, lon: 88.3616}
    recorder:
      id: scm-nvr
      room: B1 security room
      retention_days: 30
      credentials: {keyring: nazar-scm-nvr, username: operator}
"""

    def private(cam_id: str, url: str, extra: str = "") -> str:
        return f"""\
  - id: {cam_id}
    name: Mall {cam_id}
    ownership: private
    site: south-city-mall
    location: {{lat: 22.5015, lon: 88.3617}}
    streams: {{main: "{url}", sub: "{url}/sub"}}
{extra}"""

    cams = (private("SCM-1", "rtsp://10.20.0.14:554/ch1")
            + private("SCM-2", "rtsp://10.20.0.14:554/ch2",
                      "    credentials: {keyring: nazar-cams, username: viewer}\n")
            + private("SCM-3", "rtsp://guest:${GUEST_PW}@10.20.0.14:554/ch3"))
    reg = load_registry(write_yaml(registry_text(cams, sites=sites)),
                        env={"GUEST_PW": "guest-pw"})
    assert reg.problems == []
    one = reg.cameras["SCM-1"]
    assert one.main.url == "rtsp://operator:nvr-Secret-1@10.20.0.14:554/ch1"
    assert one.sub is not None and one.sub.url.startswith("rtsp://operator:nvr-Secret-1@")
    assert one.main.display == "rtsp://operator:***@10.20.0.14:554/ch1"
    assert one.recorder is not None and one.recorder.credentials == \
        Credentials("nazar-scm-nvr", "operator")
    # The camera's own credentials win; so does a user written in its own address.
    assert reg.cameras["SCM-2"].main.url.startswith("rtsp://viewer:own-Secret-2@")
    assert reg.cameras["SCM-3"].main.url == "rtsp://guest:guest-pw@10.20.0.14:554/ch3"


def test_a_missing_entry_is_a_problem_of_that_camera_only(file_keyring, write_yaml):
    file_keyring.set_password("nazar-cams", "viewer", PW)
    text = registry_text(keyed_camera("KEY-1", "rtsp://10.0.0.5/ch1")
                         + keyed_camera("KEY-2", "rtsp://10.0.0.6/ch1", user="nobody")
                         + camera_yaml("PLAIN-1", "rtsp://10.0.0.7/ch1"))
    path = write_yaml(text)
    reg = load_registry(path)
    assert sorted(reg.cameras) == ["KEY-1", "PLAIN-1"] and reg.skipped == ["KEY-2"]
    [problem] = reg.problems
    line = next(i for i, t in enumerate(text.splitlines(), 1)
                if "username: nobody" in t)
    assert (problem.camera, problem.field, problem.line) == ("KEY-2", "credentials", line)
    said = str(problem)
    assert said.startswith(f"{path}:{line}: camera KEY-2 field 'credentials': ")
    assert "no password in the keyring for keyring service 'nazar-cams', user 'nobody'" in said
    assert "keyring set nazar-cams nobody" in said


def test_no_keyring_backend_is_a_clear_problem_per_camera(no_keyring, write_yaml):
    path = write_yaml(registry_text(keyed_camera("KEY-1", "rtsp://10.0.0.5/ch1")
                                    + keyed_camera("KEY-2", "rtsp://10.0.0.6/ch1")
                                    + camera_yaml("PLAIN-1", "rtsp://10.0.0.7/ch1")))
    reg = load_registry(path)
    assert list(reg.cameras) == ["PLAIN-1"]
    assert [p.camera for p in reg.problems] == ["KEY-1", "KEY-2"]
    for p in reg.problems:
        assert "no keyring is available" in p.message and "nazar-cams" in p.message
        assert str(p).startswith(f"{path}:{p.line}: camera {p.camera}")


def test_credentials_mistakes_are_reported(file_keyring, write_yaml):
    file_keyring.set_password("nazar-cams", "viewer", PW)
    cams = (keyed_camera("BOTH-1", "rtsp://admin:x@10.0.0.5/ch1")
            + keyed_camera("FILE-1", "clips/x.mp4")
            + camera_yaml("TYPO-1", "rtsp://10.0.0.5/ch1")
            + "    credentials: {keyring: nazar-cams, user: viewer}\n"
            + camera_yaml("BARE-1", "rtsp://10.0.0.5/ch1")
            + "    credentials: nazar-cams\n")
    reg = load_registry(write_yaml(registry_text(cams)))
    assert reg.cameras == {}
    said = "\n".join(str(p) for p in reg.problems)
    assert "camera BOTH-1 field 'credentials': the address already has a user in it" in said
    assert "camera FILE-1 field 'credentials': credentials are for network streams" in said
    assert "camera TYPO-1" in said and "'credentials.user'" in said
    assert "camera TYPO-1 field 'credentials.username'" in said
    assert "camera BARE-1 field 'credentials'" in said and "must be a mapping" in said
    assert PW not in said
