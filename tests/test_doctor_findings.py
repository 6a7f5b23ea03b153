"""`doctor` finds every problem in one run: bad settings are findings like the network's and the key's, every base is
still checked as far as it goes, next_steps come in the order to make the fixes, and the exit code follows the most
basic failing finding (config 2, then network 4, then auth 3). In-process, on loopback; no request spends."""
import ipaddress
import socket

import pytest

import smsonline_sandbox
from support import KEY, PRIMARY, BACKUP

OTHER_SITES_KEY = "test-key-of-another-site-0a1b2c"


@pytest.fixture
def listening_base():
    """A base URL whose port accepts connections (the kernel's backlog answers), and the port itself."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        yield f"http://127.0.0.1:{port}/api/v1"



@pytest.fixture
def refusing_site():
    """A sandbox on loopback that knows another key: it refuses ours (HTTP 401), reached by the name localhost so
    that its own key variable (SMSONLINE_API_KEY_LOCALHOST) differs from 127.0.0.1's."""
    parsed = smsonline_sandbox.build_parser().parse_args([])
    sandbox = smsonline_sandbox.build(parsed, api_key=OTHER_SITES_KEY, sms_delay=0).start_background()
    yield sandbox
    sandbox.stop()


def localhost_url(sandbox):
    return sandbox.base_url.replace("127.0.0.1", "localhost")


def doctor(cli, env, closed_port, *argv, **settings):
    environ = {**env, "SMSONLINE_PROXY_PORTS": str(closed_port), **settings}
    return cli("doctor", *argv, environ={name: value for name, value in environ.items() if value is not None})


def names(result):
    return [finding["finding"] for finding in result.line["findings"]]


def test_a_placeholder_key_and_a_dead_proxy_are_both_found_and_the_base_still_checked(
        cli, env, closed_port, listening_base):
    result = doctor(cli, env, closed_port, SMSONLINE_API_KEY="your_api_key_here", SMSONLINE_BASE_URLS=listening_base,
                    SMSONLINE_PROXY=f"http://127.0.0.1:{closed_port}")
    assert (result.code, result.kind) == (2, "config")
    assert result.line["findings"] == [
        {"finding": "placeholder_key", "kind": "config", "variable": "SMSONLINE_API_KEY", "where": "the environment",
         "fix": result.line["next_steps"][0]},
        {"finding": "dead_proxy", "kind": "network", "variable": "SMSONLINE_PROXY", "where": "the environment",
         "fix": result.line["next_steps"][1]}]
    assert "placeholder" in result.line["next_steps"][0] and "does not accept" in result.line["next_steps"][1]
    base = result.line["bases"][0]
    assert (base["verdict"], base["failed_step"]) == ("unreachable", "proxy")
    assert base["steps"]["proxy"]["ok"] is False and base["steps"]["dns"]["ok"] and base["steps"]["tcp"]["ok"]
    assert "your_api_key_here" not in result.out


def test_a_proxy_setting_that_is_no_url_is_a_config_finding_and_the_bases_are_checked_without_it(
        cli, env, closed_port, listening_base):
    result = doctor(cli, env, closed_port, "--proxy", "http://127.0.0.1:notaport", SMSONLINE_BASE_URLS=listening_base)
    assert (result.code, result.kind) == (2, "config") and names(result) == ["bad_proxy"]
    assert result.line["findings"][0]["where"] == "the command line"
    assert result.line["bases"][0]["steps"]["tcp"]["ok"] and result.line["bases"][0]["failed_step"] == "proxy"


@pytest.mark.parametrize("contents", [b"SMSONLINE_API_KEY=\xff\xfe\n", None], ids=["not-utf8", "missing"])
def test_an_unreadable_env_file_is_a_finding_and_the_keys_in_the_environment_are_still_checked(
        cli, env, tmp_path, closed_port, refusing_site, contents):
    env_file = tmp_path / "broken.env"
    if contents is not None:
        env_file.write_bytes(contents)
    result = doctor(cli, env, closed_port, SMSONLINE_ENV_FILE=str(env_file),
                    SMSONLINE_BASE_URLS=refusing_site.base_url)
    assert (result.code, result.kind) == (2, "config")
    assert names(result) == ["env_file_unreadable", "key_refused"]
    assert result.line["findings"][0]["where"] == str(env_file) and str(env_file) in result.line["next_steps"][0]
    assert result.line["bases"][0]["steps"]["http"]["status"] == 401
    assert [c["endpoint"] for c in refusing_site.platform.snapshot()["calls"]] == ["get-countries"]


def test_an_env_file_that_is_not_text_stops_other_commands_as_a_config_error_not_a_bug(cli, env, tmp_path):
    env_file = tmp_path / "broken.env"
    env_file.write_bytes(b"SMSONLINE_MAX_PRICE=\xff\n")
    result = cli("countries", environ={**env, "SMSONLINE_ENV_FILE": str(env_file)})
    assert (result.code, result.kind) == (2, "config") and "not UTF-8 text" in result.line["error"]["message"]


@pytest.fixture
def no_dns(monkeypatch):
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution") from None
        return real_lookup(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def test_when_every_name_lookup_fails_no_internet_is_said_plainly(cli, env, closed_port, no_dns):
    result = doctor(cli, env, closed_port)
    assert (result.code, result.kind) == (4, "network")
    assert result.line["verdict"].startswith("no internet at all")
    assert names(result) == ["no_internet"] and result.line["next_steps"][0].startswith("Connect this machine")
    message = result.line["error"]["message"].lower()
    assert message.count("no internet at all") == 1 and message.count("no name lookup works") == 1
    assert [b["failed_step"] for b in result.line["bases"]] == ["dns", "dns"]
    assert "premium.example.test" in result.line["next_steps"][0] and "backup.example.test" in \
        result.line["next_steps"][0]


@pytest.mark.parametrize("placeholder, dead_base, code, kind, expected", [
    (True, True, 2, "config", ["placeholder_key", "tcp_failed", "key_refused"]),
    (False, True, 4, "network", ["tcp_failed", "key_refused"]),
    (False, False, 3, "auth", ["key_refused"]),
])
def test_the_exit_code_follows_the_most_basic_finding_and_next_steps_come_in_that_order(
        cli, env, closed_port, refusing_site, placeholder, dead_base, code, kind, expected):
    bases = [localhost_url(refusing_site)] + [f"http://127.0.0.1:{closed_port}/api/v1"] * dead_base  # worst last
    result = doctor(cli, env, closed_port, SMSONLINE_BASE_URLS=",".join(bases),
                    SMSONLINE_API_KEY_127_0_0_1="xxx-placeholder" if placeholder else None)
    assert (result.code, result.kind) == (code, kind)
    assert names(result) == expected
    assert result.line["next_steps"] == [finding["fix"] for finding in result.line["findings"]]
    assert [finding["kind"] for finding in result.line["findings"]] == sorted(
        (finding["kind"] for finding in result.line["findings"]), key=["config", "network", "auth"].index)


def test_a_bad_setting_fails_doctor_even_where_a_base_accepts_the_key(cli, env, closed_port, refusing_site):
    result = doctor(cli, env, closed_port, SMSONLINE_API_KEY=OTHER_SITES_KEY, SMSONLINE_API_KEY_EXAMPLE="<your key>",
                    SMSONLINE_BASE_URLS=refusing_site.base_url)
    assert result.line["bases"][0]["verdict"] == "works"
    assert (result.code, result.kind) == (2, "config") and names(result) == ["placeholder_key"]
    assert result.line["findings"][0]["variable"] == "SMSONLINE_API_KEY_EXAMPLE"


def test_no_key_at_all_is_one_finding_and_every_base_is_still_reached(cli, env, closed_port, listening_base):
    result = doctor(cli, env, closed_port, SMSONLINE_API_KEY=None, SMSONLINE_BASE_URLS=listening_base)
    assert (result.code, result.kind) == (2, "config") and names(result) == ["missing_key"]
    assert result.line["bases"][0]["verdict"] == "no_key" and result.line["bases"][0]["steps"]["tcp"]["ok"]
    assert KEY not in result.out and PRIMARY not in result.out and BACKUP not in result.out


@pytest.fixture
def sms_activate_site():
    """An sms-activate sandbox on loopback that knows our key, with a balance of 5000 (its default)."""
    parsed = smsonline_sandbox.build_parser().parse_args(["--protocol", "sms-activate"])
    sandbox = smsonline_sandbox.build(parsed, api_key=KEY, sms_delay=0).start_background()
    yield sandbox
    sandbox.stop()


def test_doctor_shows_each_sites_balance_where_its_protocol_has_one(cli, env, closed_port, sms_activate_site):
    result = doctor(cli, env, closed_port, SMSONLINE_BASE_URLS=sms_activate_site.base_url)
    assert result.code == 0, result.line
    base, = result.line["bases"]
    assert (base["verdict"], base["balance"], base["steps"]["http"]["balance"]) == ("works", 5000.0, 5000.0)
    assert [c["endpoint"] for c in sms_activate_site.platform.snapshot()["calls"]] == ["getBalance"]


def test_a_dead_proxy_is_named_before_no_internet_and_the_unchecked_key_is_said(cli, env, closed_port, no_dns):
    result = doctor(cli, env, closed_port, SMSONLINE_PROXY=f"http://127.0.0.1:{closed_port}")
    assert (result.code, result.kind) == (4, "network")
    assert names(result) == ["dead_proxy", "no_internet"]
    assert result.line["verdict"].startswith("the proxy in effect accepts no connection (SMSONLINE_PROXY)")
    assert "the key (SMSONLINE_API_KEY) could not be checked" in result.line["verdict"]
    assert [base["key_checked"] for base in result.line["bases"]] == [False, False]
    assert "could not be checked" in result.line["next_steps"][-1]
    message = result.line["error"]["message"]
    assert message.count(result.line["verdict"]) == 1 and message.count("accepts no connection") == 1


def test_a_key_that_was_checked_is_not_said_unchecked(cli, env, closed_port, refusing_site):
    result = doctor(cli, env, closed_port, SMSONLINE_BASE_URLS=refusing_site.base_url)
    assert result.line["bases"][0]["key_checked"] is True and "could not be checked" not in result.line["verdict"]
