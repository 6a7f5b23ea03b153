"""What a hostile transport does to the promises, over real HTTP on loopback: answers in any charset (a misread one is
never a code), every framing cut at the exchange's cap, redirects that would carry the key to another site, and a
key echoed in UTF-16. The script runs in-process (fake clock, real sockets) against a scripted socket-level fake."""
import codecs
import json
import time
from urllib.parse import urlsplit

import pytest

import fakes
from loopback import LoopbackServer, read_head
from support import KEY, decoding

RECEIVE = ("receive", "--country", "1", "--service", "101", "--operator", "13", "--timeout", "3", "--interval", "1")
FAST = ("--connect-timeout", "0.25", "--read-timeout", "1")  # exchanges capped at 1.25 s; a byte each 0.5 s reads on
TRICKLE_S = 0.5
STATUS_LINES = {"http10": b"HTTP/1.0 200 OK"}
FRAMING_HEADERS = {"length": b"Content-Length: %d\r\n", "close": b"Connection: close\r\nContent-Length: %d\r\n",
                   "chunked": b"Transfer-Encoding: chunked\r\n", "http10": b""}
GBK_WAITING = json.dumps({"status": 1, "data": {"orderId": 500001, "sms": "暂无短信，剩余1187秒"}},
                         ensure_ascii=False).encode("gbk")  # "no SMS yet, 1187 s left"
UNREADABLE = b'{"status": 1, "data": {"orderId": 500001, "sms": "\x80\xfe\xff 1187"}}'  # not UTF-8, not GB18030


def canned(body, content_type="application/json", framing="length", every=0.0, status=b"200 OK", headers=b""):
    """One answer: its bytes (a dict is JSON), the framing, and a delay before each body byte (a trickle)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return {"body": data, "content_type": content_type, "framing": framing, "every": every, "status": status,
            "headers": headers}


class ScriptedPlatform(LoopbackServer):
    """HTTP/1.1 kept alive, answering each endpoint with its next canned answer (the last one again once they are
    used up); `calls` lists (endpoint, query) in order. An answer framed to close its connection closes it."""

    def __init__(self, **answers):
        self.answers = {"buy-service": [canned(fakes.BOUGHT)], "get-sms": [canned(fakes.WAITING)],
                        "change-status": [canned(fakes.DONE)], "get-countries": [canned(fakes.COUNTRIES)]}
        self.answers.update({name.replace("_", "-"): value for name, value in answers.items()})
        self.calls = []
        super().__init__()

    def serve(self, conn):
        while True:
            head, _ = read_head(conn)
            if not head:
                return
            self.record(head)
            target = urlsplit(head.split(b" ")[1].decode("latin-1"))
            endpoint = target.path.rsplit("/", 1)[-1]
            with self.lock:
                self.calls.append((endpoint, target.query))
                queue = self.answers.get(endpoint) or [canned({"status": -1, "message": "unknown endpoint"})]
                answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if not send(conn, answer):
                return

    def endpoints(self):
        return [endpoint for endpoint, _ in self.calls]


def send(conn, answer):
    """Write one answer in its framing, at once or a byte at a time; False when the connection is to close after it."""
    body, framing = answer["body"], answer["framing"]
    status_line = STATUS_LINES.get(framing, b"HTTP/1.1 " + answer["status"])
    framing_headers = FRAMING_HEADERS[framing] % len(body) if b"%d" in FRAMING_HEADERS[framing] else \
        FRAMING_HEADERS[framing]
    head = status_line + b"\r\nContent-Type: " + answer["content_type"].encode() + b"\r\n" + answer["headers"] + \
        framing_headers + b"\r\n"
    pieces = [body[i:i + 1] for i in range(len(body))] if answer["every"] else [body]
    framed = [b"%x\r\n%s\r\n" % (len(piece), piece) if framing == "chunked" else piece for piece in pieces if piece]
    framed += [b"0\r\n\r\n"] if framing == "chunked" else []
    if not answer["every"]:
        conn.sendall(head + b"".join(framed))  # one write: no Nagle delay on loopback
    else:
        conn.sendall(head)
        for piece in framed:
            time.sleep(answer["every"])
            conn.sendall(piece)
    return framing in ("length", "chunked")


@pytest.fixture
def platform(env):
    """platform(**answers) -> a ScriptedPlatform that is the run's only base URL."""
    started = []

    def start(**answers):
        server = ScriptedPlatform(**answers)
        started.append(server)
        env["SMSONLINE_BASE_URLS"] = server.base_url
        return server
    yield start
    for server in started:
        server.close()


def without_nuls(text):
    """Text with every NUL gone, raw or escaped: a key echoed in UTF-16 reads as the key again."""
    return text.replace("\x00", "").replace("\\u0000", "").replace("\\x00", "")


# --- 1. an answer is read in the charset it is in; a misread one is never a code -----------------------------

@pytest.mark.parametrize("content_type", ["application/json; charset=gbk", "application/json", "text/plain"])
def test_a_gbk_status_line_with_digits_is_no_code_with_or_without_its_charset(cli, platform, content_type):
    server = platform(get_sms=[canned(GBK_WAITING, content_type)])
    run = cli(*RECEIVE)
    assert (run.code, run.line["order_status"]) == (1, "cancelled") and run.line["polls"] >= 3
    assert [query for endpoint, query in server.calls if endpoint == "change-status"] == \
        [f"id=500001&status=4&apiKey={KEY}"]


@pytest.mark.parametrize("charset, content_type", [("utf-16", "application/json"), ("utf-16-be", "application/json"),
                                                   ("utf-16-le", "text/plain; charset=utf-16"),
                                                   ("utf-32", "application/json")])
def test_an_answer_in_utf16_or_utf32_gives_its_code(cli, platform, charset, content_type):
    platform(get_sms=[canned(json.dumps(fakes.RECEIVED, ensure_ascii=False).encode(charset), content_type)])
    run = cli(*RECEIVE)
    assert (run.code, run.line["code"], run.line["order_status"]) == (0, "8848", "finished")


def test_an_answer_no_charset_reads_is_unreadable_polling_goes_on_and_the_trace_keeps_its_bytes(cli, platform,
                                                                                               tmp_path):
    platform(get_sms=[canned(UNREADABLE)])
    trace = tmp_path / "trace.jsonl"
    run = cli(*RECEIVE, "-v", "--trace", str(trace))
    assert (run.code, run.line["order_status"]) == (1, "cancelled") and run.line["polls"] >= 3
    assert "no charset that could be read" in run.line["error"]["message"]
    assert "\\x80\\xfe\\xff 1187" in run.err  # -v shows the bytes
    records = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    polls = [record["exchange"] for record in records if record.get("exchange", {}).get("endpoint") == "read"]
    assert polls and all(poll["bytes"].encode("latin-1") == UNREADABLE for poll in polls)


# --- 5. every exchange is cut at its cap, whatever the framing -------------------------------------------------

@pytest.mark.parametrize("framing", list(FRAMING_HEADERS))
def test_an_answer_trickling_faster_than_the_read_timeout_is_cut_at_the_cap_in_every_framing(cli, platform, framing):
    platform(get_countries=[canned(fakes.COUNTRIES, framing=framing, every=TRICKLE_S)])
    started = time.monotonic()
    run = cli("countries", *FAST)
    assert time.monotonic() - started < 2.25
    assert (run.code, run.kind) == (4, "network") and "no complete answer within 1.25s" in run.line["error"]["message"]


@pytest.mark.parametrize("framing", ["close", "http10"])
def test_a_cancel_trickling_on_a_closing_connection_ends_within_seconds(cli, platform, framing):
    server = platform(change_status=[canned(fakes.DONE, framing=framing, every=TRICKLE_S)])
    started = time.monotonic()
    run = cli(*RECEIVE, *FAST)
    assert time.monotonic() - started < 3
    assert (run.code, run.kind) == (6, "cancel_failed") and server.endpoints().count("change-status") >= 1


# --- 6. the key never leaves its site ------------------------------------------------------------------------

def moved_to(origin):
    """A 302 to another origin that keeps the path and the query, apiKey included, as a site-move rule does."""
    return canned(b"", "text/plain", status=b"302 Found", headers=f"Location: {origin}/api/v1/virtual-number/"
                  f"get-countries?apiKey={KEY}\r\n".encode())


@pytest.mark.parametrize("target, shown", [("http://127.0.0.1:{other}", "{target}/api/v1"),
                                           ("http://localhost:{port}", "{target}/api/v1"),
                                           ("https://127.0.0.1:{port}", "{target}/api/v1"),
                                           ("http://[::1", "an address that cannot be read")],
                         ids=["port", "host", "scheme", "unreadable"])
def test_a_redirect_to_another_scheme_host_or_port_is_refused_and_reported(cli, platform, target, shown):
    other = platform()
    server = platform()
    origin = target.format(other=other.port, port=server.port)
    server.answers["get-countries"] = [moved_to(origin)]
    run = cli("countries")
    assert (run.code, run.kind) == (3, "api") and server.connections == 1 and other.requests == []
    assert f"moved to {shown.format(target=origin)}: update the base URL" in run.line["error"]["message"]
    assert "--base-url" in run.line["error"]["attempts"][0]["next_step"]


def test_a_redirect_within_the_site_is_still_followed(cli, platform):
    server = platform()
    server.answers["get-countries"] = [canned(b"", status=b"301 Moved Permanently",
                                              headers=b"Location: /api/v2/virtual-number/get-countries\r\n"),
                                       canned(fakes.COUNTRIES)]
    run = cli("countries")
    assert (run.code, run.line["count"]) == (0, 4) and len(server.requests) == 2


@pytest.mark.parametrize("body", [
    b'{"status": -1, "message": "no such key: ' + KEY.encode("utf-16-le") + b'"}',  # UTF-8 around UTF-16
    b'{"status": -1, "message": "\x80 no such key: ' + KEY.encode("utf-16-be") + b'"}',  # no charset reads it
], ids=["utf-16-in-utf-8", "utf-16-in-unreadable"])
def test_a_key_echoed_in_utf16_never_reaches_stdout_stderr_or_the_trace(cli, platform, tmp_path, body):
    platform(get_countries=[canned(body)])
    trace = tmp_path / "trace.jsonl"
    run = cli("countries", "-v", "--trace", str(trace))
    assert (run.code, run.kind) == (3, "api") and "***" in run.line["error"]["message"]
    for shown in (run.out, run.err, trace.read_text(encoding="utf-8")):
        assert KEY not in without_nuls(shown)


# --- the order in which charsets are tried (no HTTP needed) --------------------------------------------------

@pytest.mark.parametrize("body, content_type, charset, lossy", [
    (codecs.BOM_UTF16_BE + "验证码".encode("utf-16-be"), "application/json; charset=gbk", "utf-16", False),
    ("暂无".encode("gbk"), "text/plain; charset=GB2312", "gb18030", False),
    ("暂无".encode("utf-8"), "text/plain; charset=iso-8859-1", "utf-8", False),  # a default label, UTF-8 inside
    ("café".encode("latin-1"), "text/plain; charset=latin1", "iso8859-1", False),
    ('{"a": 1}'.encode("utf-16-le"), "application/json; charset=utf-8", "utf-16-le", False),
    ("暂无".encode("utf-8"), "application/json; charset=base64", "utf-8", False),  # no text encoding: ignored
    ("暂无".encode("utf-8"), "application/json; charset=undefined", "utf-8", False),
    (b"\x80\xff", "application/json", "utf-8", True),
])
def test_charsets_are_tried_bom_then_declared_then_utf8_then_gb18030(body, content_type, charset, lossy):
    decoded = decoding.decode(decoding.Reply(200, "OK", content_type, body))
    assert (decoded.charset, decoded.lossy) == (charset, lossy)
    assert lossy or decoded.text == body.decode(charset)
