"""Loopback fakes for the end-to-end tests: broken TLS, slow bodies, block pages and a CONNECT proxy (stdlib only).

Each server listens on 127.0.0.1 from the moment it is built, serves every connection in a daemon thread, counts
`connections`, records the request lines it read in `requests`, never prints a traceback, and stops with `close()`.
"""
import socket
import ssl
import struct
import subprocess
import threading
import time
from http import HTTPStatus
from pathlib import Path

HEAD_LIMIT = 64 * 1024
NOT_TLS = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThis is not TLS.\r\n"
BLOCK_PAGE = ("<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1>"
              "<p>Sorry, this site is blocked by your network administrator.</p></body></html>")


def self_signed_cert(folder):
    """(cert_path, key_path) of a fresh self-signed certificate for IP 127.0.0.1, valid three days.

    It is its own CA, so `REQUESTS_CA_BUNDLE=<cert_path>` makes `requests` trust it."""
    cert, key = Path(folder) / "loopback-cert.pem", Path(folder) / "loopback-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "3", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
                    "-addext", "extendedKeyUsage=serverAuth"], check=True, capture_output=True)
    return cert, key


def read_head(stream):
    """(request head, bytes read past it); the head is b"" when the peer closed before finishing it."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        chunk = stream.recv(4096)
        if not chunk:
            return b"", b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def request_line(head):
    return head.split(b"\r\n", 1)[0].decode("latin-1")


def close_hard(conn):
    """Shut a socket down before closing it, which also wakes a thread blocked on it."""
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


class LoopbackServer:
    """A listening socket on 127.0.0.1; `serve(conn)` handles each connection in a daemon thread."""
    scheme = "http"

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections, self.requests, self.open = 0, [], set()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    @property
    def base_url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}/api/v1"

    def accept(self):
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:  # close() shut the listener down
                return
            with self.lock:
                self.connections += 1
                self.open.add(conn)
            threading.Thread(target=self.serve_quietly, args=(conn,), daemon=True).start()

    def serve_quietly(self, conn):
        try:
            conn.settimeout(10)
            self.serve(conn)
        except OSError:  # the client left, timed out, or failed its TLS handshake: none of it is news here
            pass
        finally:
            close_hard(conn)
            with self.lock:
                self.open.discard(conn)

    def serve(self, conn):
        raise NotImplementedError

    def record(self, head):
        with self.lock:
            self.requests.append(request_line(head))

    def read_request(self, conn):
        """Read and record one request head; False when the client left first."""
        head, _ = read_head(conn)
        if head:
            self.record(head)
        return bool(head)

    def close(self):
        close_hard(self.socket)
        with self.lock:
            for conn in list(self.open):
                close_hard(conn)


class TlsBreakServer(LoopbackServer):
    """HTTPS that completes the handshake, reads the request head, then breaks the stream without answering.

    mode "reset": a TCP RST (SO_LINGER 0); "garbage": non-TLS bytes on the raw socket; "eof": a TCP close with
    no TLS close_notify."""
    scheme = "https"
    MODES = ("reset", "garbage", "eof")

    def __init__(self, cert, key, mode):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        self.mode = mode
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        super().__init__()

    def serve(self, conn):
        with self.context.wrap_socket(conn.dup(), server_side=True) as tls:  # conn stays the raw TCP socket
            head, _ = read_head(tls)
            if not head:
                return
            self.record(head)
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self.mode == "garbage":
                conn.sendall(NOT_TLS)
        if self.mode == "reset":
            conn.close()  # the last descriptor: with linger 0 the kernel resets instead of closing


class TlsHandshakeFailServer(LoopbackServer):
    """An https:// listener whose handshake fails: it reads the ClientHello and answers plain text."""
    scheme = "https"

    def serve(self, conn):
        if conn.recv(HEAD_LIMIT):
            conn.sendall(NOT_TLS)


class TrickleServer(LoopbackServer):
    """Plain HTTP: status and headers at once (Content-Length, application/json), then one body byte every `every` s."""

    def __init__(self, body, every):
        self.body = body.encode() if isinstance(body, str) else body
        self.every = every
        super().__init__()

    def serve(self, conn):
        if not self.read_request(conn):
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(self.body))
        for byte in self.body:
            time.sleep(self.every)
            conn.sendall(bytes([byte]))


class HtmlPageServer(LoopbackServer):
    """Plain HTTP answering every path with `status` and an HTML block page, as a captive portal does."""

    def __init__(self, status=200):
        self.status = status
        super().__init__()

    def serve(self, conn):
        if not self.read_request(conn):
            return
        page, reason = BLOCK_PAGE.encode(), HTTPStatus(self.status).phrase.encode()
        conn.sendall(b"HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (self.status, reason, len(page), page))


class FakeHttpProxy(LoopbackServer):
    """A minimal CONNECT proxy: `CONNECT host:port` gets "200 Connection established" and a byte tunnel there.

    Records the CONNECT targets in `targets`. An absolute-form `GET http://host:port/path` (plain HTTP through a
    proxy) is forwarded as one request; anything else gets 501; an unreachable target 502."""

    def __init__(self):
        self.targets = []
        super().__init__()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def serve(self, conn):
        head, rest = read_head(conn)
        if not head:
            return
        self.record(head)
        method, _, target = request_line(head).partition(" ")
        target = target.rpartition(" ")[0]
        if method == "GET" and target.startswith("http://"):
            return self.forward(conn, head, target, rest)
        if method != "CONNECT":
            return conn.sendall(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        with self.lock:
            self.targets.append(target)
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port) if port.isdigit() else -1), timeout=5)
        except (OSError, OverflowError):
            return conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        with self.lock:
            self.open.add(upstream)
        try:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.tunnel(conn, upstream, rest)
        finally:
            close_hard(upstream)
            with self.lock:
                self.open.discard(upstream)

    def forward(self, conn, head, target, rest):
        """One plain-HTTP request to its origin, with Connection: close, and the answer back."""
        authority, _, path = target[len("http://"):].partition("/")
        host, _, port = authority.rpartition(":")
        lines = [f"GET /{path} HTTP/1.1".encode()] + [line for line in head.split(b"\r\n")[1:]
                                                    if not line.lower().startswith((b"connection:", b"proxy-"))]
        try:
            upstream = socket.create_connection((host, int(port)), timeout=5)
        except (OSError, ValueError):
            return conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        with upstream:
            upstream.sendall(b"\r\n".join(lines + [b"Connection: close", b"", b""]) + rest)
            pump(upstream, conn)

    def tunnel(self, conn, upstream, early):
        """Pump both ways until each side has closed its half; no idle timeout (close() wakes both)."""
        conn.settimeout(None)
        upstream.settimeout(None)
        upstream.sendall(early)
        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join()


def pump(source, sink):
    """Copy bytes until the source closes (or fails), then close the sink's sending half."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    try:
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass
