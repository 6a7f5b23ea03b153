"""Proxies the way users set them (issue 15 §5): NO_PROXY honoured as requests does, the proxy of the base's own
scheme, and a hanging proxy blamed as the proxy. Real sockets on loopback; the script in-process."""
import pytest

from e2e_support import E2E_KEY, HangingServer
from loopback import FakeHttpProxy


@pytest.fixture
def proxy():
    server = FakeHttpProxy()
    yield server
    server.close()


def environment(env, sandbox, **proxies):
    env.update(SMSONLINE_API_KEY=E2E_KEY, SMSONLINE_BASE_URLS=sandbox.base_url, **proxies)
    return env


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1:1,.example,127.0.0.0/8"])
def test_no_proxy_keeps_the_key_away_from_the_environments_proxy(cli, env, sandbox, proxy, no_proxy):
    environment(env, sandbox, HTTPS_PROXY=proxy.url, HTTP_PROXY=proxy.url, ALL_PROXY=proxy.url, NO_PROXY=no_proxy)
    run = cli("countries")
    assert run.code == 0 and proxy.requests == []


def test_an_http_base_goes_through_http_proxy_and_says_so(cli, env, sandbox, proxy):
    environment(env, sandbox, HTTP_PROXY=proxy.url)
    run = cli("countries")
    assert run.code == 0 and len(proxy.requests) == 1 and proxy.requests[0].startswith("GET http://127.0.0.1")


def test_an_https_proxy_is_not_used_for_an_http_base(cli, env, sandbox, proxy):
    environment(env, sandbox, HTTPS_PROXY=proxy.url)
    assert cli("countries").code == 0 and proxy.requests == []


def test_a_proxy_that_hangs_is_blamed_not_the_site(cli, env, sandbox):
    hanging = HangingServer()
    try:
        environment(env, sandbox, SMSONLINE_PROXY=f"http://127.0.0.1:{hanging.port}")
        run = cli("--read-timeout", "1", "--connect-timeout", "1", "countries")
    finally:
        hanging.close()
    assert run.code == 4 and "through the proxy" in run.line["error"]["attempts"][0]["next_step"]


def test_the_name_is_looked_up_once_and_bounded_never_again_by_the_connection(cli, env, sandbox, monkeypatch):
    import socket
    real, looked_up = socket.getaddrinfo, []

    def lookup(host, *args, **kwargs):
        if host == "sandbox.example.test":
            looked_up.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    env.update(SMSONLINE_API_KEY=E2E_KEY, SMSONLINE_BASE_URLS=sandbox.base_url.replace("127.0.0.1",
                                                                                        "sandbox.example.test"))
    assert cli("countries").code == 0 and looked_up == ["sandbox.example.test"]  # the bounded lookup alone


def test_doctor_names_the_proxy_each_base_goes_through_and_its_source(cli, env, sandbox, proxy):
    environment(env, sandbox, HTTP_PROXY=proxy.url)
    first = cli("doctor").line["bases"][0]
    assert first["proxy"] == {"url": proxy.url, "source": "HTTP_PROXY"}
    environment(env, sandbox, HTTP_PROXY=proxy.url, NO_PROXY="127.0.0.1")
    assert cli("doctor").line["bases"][0]["proxy"] == {"url": None, "source": "NO_PROXY"}
