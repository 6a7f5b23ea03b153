"""The loopback fakes themselves, and what `requests` makes of each of them."""
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from e2e_support import wait_until
from loopback import (FakeHttpProxy, HtmlPageServer, TlsBreakServer, TlsHandshakeFailServer, TrickleServer,
                      self_signed_cert)

PATH = "/virtual-number/get-sms?id=500001"


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return self_signed_cert(tmp_path_factory.mktemp("cert"))


@pytest.fixture
def servers():
    """Close every server a test made, even when it fails."""
    made = []
    yield made.append
    for server in made:
        server.close()


def keep(servers, server):
    servers(server)
    return server


class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_):
        pass


@pytest.fixture
def https_ok(cert):
    """A healthy HTTPS server with the self-signed certificate; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_requests_trusts_the_self_signed_cert_through_REQUESTS_CA_BUNDLE(cert, https_ok):
    probe = f"import requests; print(requests.get({https_ok + '/x'!r}, timeout=5).text)"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REQUESTS_CA_BUNDLE": str(cert[0])}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr
    done = subprocess.run([sys.executable, "-c", probe], env={"PATH": env["PATH"]}, capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in done.stderr


def test_the_cert_passes_strict_x509_checks(cert, https_ok):
    context = ssl.create_default_context(cafile=str(cert[0]))
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13 on
    port = int(https_ok.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.getpeercert()["subjectAltName"] == (("IP Address", "127.0.0.1"),)


# what requests raises when the stream breaks after the request arrived --------------------

DISCONNECTED = ("RemoteDisconnected('Remote end closed connection without response')",
                "ConnectionResetError(104, 'Connection reset by peer')")  # which one depends on Python and OpenSSL


@pytest.mark.parametrize("mode, error, excerpts", [
    # the RST may reach Python's ssl module as a ragged EOF, so it can read like "eof"
    ("reset", requests.exceptions.ConnectionError, DISCONNECTED),
    ("garbage", requests.exceptions.SSLError, ("SSLError(1, '[SSL: WRONG_VERSION_NUMBER] wrong version number",)),
    ("eof", requests.exceptions.ConnectionError, DISCONNECTED),
])
def test_a_broken_tls_stream_after_the_request(cert, servers, mode, error, excerpts):
    server = keep(servers, TlsBreakServer(*cert, mode))
    with pytest.raises(error) as caught:
        requests.get(server.base_url + PATH, verify=str(cert[0]), timeout=5)
    assert "Connection aborted." in str(caught.value) or mode == "garbage"
    assert any(excerpt in str(caught.value) for excerpt in excerpts), str(caught.value)
    assert (type(caught.value) is requests.exceptions.SSLError) == (mode == "garbage")
    assert server.requests == ["GET /api/v1" + PATH + " HTTP/1.1"]  # it arrived: the order may exist
    assert server.connections == 1  # and requests did not retry


@pytest.mark.parametrize("mode", TlsBreakServer.MODES)
def test_each_break_mode_on_the_wire(cert, servers, mode):
    server = keep(servers, TlsBreakServer(*cert, mode))
    context = ssl.create_default_context(cafile=str(cert[0]))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        received, ending = b"", "eof"
        try:
            while chunk := socket.socket.recv(tls, 65536):  # the bytes under TLS, as the kernel hands them over
                received += chunk
        except ConnectionResetError:
            ending = "reset"
    assert ending == ("reset" if mode == "reset" else "eof")
    assert (b"This is not TLS" in received) == (mode == "garbage")


def test_tls_break_refuses_an_unknown_mode(cert):
    with pytest.raises(ValueError):
        TlsBreakServer(*cert, "explode")


def test_a_failing_handshake_is_an_ssl_error_and_no_request_arrives(servers):
    server = keep(servers, TlsHandshakeFailServer())
    assert server.base_url.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError, match="WRONG_VERSION_NUMBER|wrong version number"):
        requests.get(server.base_url + PATH, timeout=5)
    assert server.connections == 1 and server.requests == []


# slow bodies ---------------------------------------------------------------------------------

def test_trickle_sends_headers_at_once_and_the_body_byte_by_byte(servers):
    server = keep(servers, TrickleServer('{"status":1,"data":[]}', every=0.02))
    started = time.monotonic()
    answer = requests.get(server.base_url + PATH, stream=True, timeout=5)
    assert time.monotonic() - started < 0.5
    assert answer.headers["Content-Type"] == "application/json" and answer.headers["Content-Length"] == "22"
    assert answer.json() == {"status": 1, "data": []}
    assert time.monotonic() - started >= 22 * 0.02
    assert server.requests == ["GET /api/v1" + PATH + " HTTP/1.1"] and server.connections == 1


def test_a_read_timeout_does_not_bound_a_trickle_but_a_gap_longer_than_it_fails(servers):
    server = keep(servers, TrickleServer(b"x" * 30, every=0.03))
    started = time.monotonic()
    assert requests.get(server.base_url, timeout=0.3).content == b"x" * 30  # each gap is under the read timeout …
    assert time.monotonic() - started > 0.3  # … so the whole answer takes longer than it, without an error
    slow = keep(servers, TrickleServer(b"x" * 30, every=0.5))
    with pytest.raises(requests.exceptions.ConnectionError, match="Read timed out"):  # not requests' ReadTimeout
        requests.get(slow.base_url, timeout=(1, 0.1))


def test_trickle_stops_quietly_when_the_client_leaves(servers, capfd):
    server = keep(servers, TrickleServer(b"x" * 1000, every=0.01))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 200")
    assert wait_until(lambda: not server.open, timeout=2)  # the writer noticed and let go
    assert "Traceback" not in capfd.readouterr().err


# block pages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [200, 403])
def test_html_page_answers_every_path_with_a_block_page(servers, status):
    server = keep(servers, HtmlPageServer(status))
    for path in (PATH, "/", "/anything?at=all"):
        answer = requests.get(server.base_url + path, timeout=5)
        assert answer.status_code == status and answer.headers["Content-Type"].startswith("text/html")
        assert "blocked by your network administrator" in answer.text
    assert len(server.requests) == 3 and server.requests[0] == "GET /api/v1" + PATH + " HTTP/1.1"


# a CONNECT proxy -------------------------------------------------------------------------------

def test_the_proxy_tunnels_https_to_the_target(cert, servers, https_ok):
    proxy = keep(servers, FakeHttpProxy())
    answer = requests.get(https_ok + "/x", proxies={"https": proxy.url}, verify=str(cert[0]), timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert proxy.targets == [https_ok.split("/")[2]] and proxy.connections == 1


def test_the_proxy_carries_a_broken_stream_through(cert, servers):
    proxy, broken = keep(servers, FakeHttpProxy()), keep(servers, TlsBreakServer(*cert, "eof"))
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(broken.base_url + PATH, proxies={"https": proxy.url}, verify=str(cert[0]), timeout=5)
    assert broken.requests == ["GET /api/v1" + PATH + " HTTP/1.1"] and proxy.targets == [f"127.0.0.1:{broken.port}"]


def test_the_proxy_forwards_bytes_sent_right_behind_the_connect_head(servers):
    proxy, page = keep(servers, FakeHttpProxy()), keep(servers, HtmlPageServer())
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
        conn.sendall(f"CONNECT 127.0.0.1:{page.port} HTTP/1.1\r\n\r\nGET /inside HTTP/1.1\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 200 ")
    assert b"blocked by your network administrator" in answer and page.requests == ["GET /inside HTTP/1.1"]


def test_the_proxy_forwards_plain_requests_and_answers_502_to_dead_targets_501_to_nonsense(servers):
    proxy = keep(servers, FakeHttpProxy())
    page = keep(servers, HtmlPageServer())
    assert requests.get(page.base_url + "/x", proxies={"http": proxy.url}, timeout=5).text.startswith("<!DOCTYPE")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    assert requests.get(f"http://127.0.0.1:{dead}/x", proxies={"http": proxy.url}, timeout=5).status_code == 502
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
        conn.sendall(f"CONNECT 127.0.0.1:{dead} HTTP/1.1\r\n\r\n".encode())
        assert conn.recv(1024).startswith(b"HTTP/1.1 502")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
        conn.sendall(b"NONSENSE\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 501")
    assert proxy.targets == [f"127.0.0.1:{dead}"] and proxy.connections == 4


# closing ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda cert: TlsBreakServer(*cert, "reset"), lambda cert: TlsHandshakeFailServer(),
    lambda cert: TrickleServer(b"x" * 100, 0.05), lambda cert: HtmlPageServer(), lambda cert: FakeHttpProxy(),
], ids=["tls-break", "handshake-fail", "trickle", "html", "proxy"])
def test_close_frees_the_port_and_drops_open_connections(cert, make, capfd):
    server = make(cert)
    held = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    assert wait_until(lambda: server.connections == 1, timeout=2)
    server.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    assert held.recv(1024) == b""  # the held connection was shut down, not left hanging
    held.close()
    assert "Traceback" not in capfd.readouterr().err
