"""`doctor`: a money-free diagnosis of the first contact, per base URL: DNS, TCP, TLS, the HTTP answer with the key;
the proxy in effect; local proxies on the usual ports; every problem found (the settings' too) as a finding, and
their fixes as next steps, most basic first. `--flow --test` adds a free rehearsal (buy in test mode, one get-sms,
cancel) and reports the shape of each answer.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import ssl
import threading
import time
import types
from urllib.parse import urlsplit

from .config import KEY_VARIABLE, proxy_for, shown_proxy, site_key_variable
from .flows import fetch_sms, settle, with_bought_number
from .http import TransportError
from .ledger import CANCEL
from .names import catalog
from .output import Failure, excerpt
from .platform import Op, module_for, protocol_of


def cmd_doctor(ctx, args):
    config = ctx.config
    if args.flow and not config.test:
        raise Failure("usage", "doctor --flow buys a number, which is free only in the platform's test mode: add "
                      "--test (or use --sandbox).")
    proxy = proxy_report(config, config.proxy, config.proxy_source)
    bases = [check_base(ctx, base, proxy_of_base(config, base, proxy)) for base in config.base_urls]
    found = local_proxies(config, bases) if not proxy.get("reachable") else []
    findings = in_fix_order([*config.findings, *proxy_findings(config, proxy, found),
                             *base_findings(config, proxy, bases, found)])
    verdict, kind = overall(findings, bases)
    unchecked = key_unchecked(bases)
    report = {"verdict": verdict + (f"; {unchecked}" if unchecked else ""), "key": key_report(config),
              "proxy": proxy, "bases": bases}
    if found or not proxy.get("reachable"):
        report["local_proxies"] = found
    report["findings"] = findings
    report["next_steps"] = [finding["fix"] for finding in findings] or [ALL_WELL]
    if unchecked:
        report["next_steps"].append(f"Then run doctor again: {unchecked}, so whether it works is not known yet.")
    if args.flow and kind is None:
        report["flow"] = rehearsal(ctx, args, next(b["base_url"] for b in bases if b["verdict"] == "works"))
    if kind:
        raise Failure(kind, f"{report['verdict']}. Next: " + " ".join(report["next_steps"]), **report)
    return {"status": "ok", **report}


# ----------------------------------------------------------------------------- one base, step by step

def check_base(ctx, base, proxy):
    parts = urlsplit(protocol_of(base)[1])
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    key, variable, source = ctx.config.key_for(base)
    result = {"base_url": base, "protocol": protocol_of(base)[0], "host": host,
              "proxy": {"url": proxy["url"], "source": proxy["source"]}, "key_variable": variable if key else None,
              "steps": {}}
    steps = result["steps"]
    timeout, unusable_proxy = ctx.config.connect_timeout, proxy["url"] and not proxy["reachable"]
    try:
        if proxy.get("reachable"):
            sock = through_proxy(proxy, host, port, steps, timeout, tunnel=parts.scheme == "https")
        else:  # no proxy, or one that cannot be used: the base is still checked as far as it goes without it
            if unusable_proxy:
                steps["proxy"] = {"ok": False, "error": proxy["error"]}
            addresses = timed(steps, "dns", lambda: resolve_host(host, port))
            steps["dns"]["addresses"] = addresses
            sock = timed(steps, "tcp", lambda: socket.create_connection((host, port), timeout))
        with sock:
            if parts.scheme == "https":
                timed(steps, "tls", lambda: handshake(sock, host, timeout))
    except StepFailed as failed:
        result["verdict"], result["failed_step"] = "unreachable", "proxy" if unusable_proxy else failed.step
        return result
    if unusable_proxy:  # the API is only ever asked through the proxy in effect
        result["verdict"], result["failed_step"] = "unreachable", "proxy"
        return result
    if not key:
        steps["http"] = {"ok": False, "error": f"no API key for this site: set {variable} or {KEY_VARIABLE}"}
        result["verdict"] = "no_key"
        return result
    result["key_source"] = f"{variable} ({source})"
    result["verdict"] = http_step(ctx, base, key, steps)
    if "balance" in steps["http"]:  # in the site's own currency (sms-activate sites do not name it)
        result["balance"] = steps["http"]["balance"]
    return result


class StepFailed(Exception):
    def __init__(self, step):
        super().__init__(step)
        self.step = step


def timed(steps, name, action):
    """Run one step, note its time and result under steps[name]; StepFailed when it fails."""
    started = time.monotonic()
    try:
        value = action()
    except (OSError, ValueError) as exc:
        steps[name] = {"ok": False, "ms": elapsed_ms(started), "error": describe_socket_error(exc)}
        raise StepFailed(name) from None
    steps[name] = {"ok": True, "ms": elapsed_ms(started), **(value if isinstance(value, dict) else {})}
    return value


def elapsed_ms(started):
    return round((time.monotonic() - started) * 1000, 1)


def resolve_host(host, port):
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def handshake(sock, host, timeout):
    """The TLS handshake as requests would make it (same trust store), within `timeout` seconds in all (a timer shuts
    the socket of a server that trickles it); its version and certificate."""
    context = ssl.create_default_context(cafile=trust_store())
    sock.settimeout(timeout)
    timer = threading.Timer(timeout, shut, args=(sock,))
    timer.start()
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            cert = tls.getpeercert()
            subject = dict(item[0] for item in cert.get("subject", ()))
            return {"version": tls.version(), "subject": subject.get("commonName"), "expires": cert.get("notAfter")}
    finally:
        timer.cancel()


def shut(sock):
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def trust_store():
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(name):
            return os.environ[name]
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    return DEFAULT_CA_BUNDLE_PATH


def describe_socket_error(exc):
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate error: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake error: {getattr(exc, 'reason', None) or exc}"
    if isinstance(exc, socket.gaierror):
        return f"DNS lookup failed: {exc.strerror}"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return f"{type(exc).__name__}: {excerpt(exc, 120)}"


def http_step(ctx, base, key, steps):
    """The key checked in the site's own protocol, spending nothing (the balance where it has one, else the country
    list) -> the base's verdict: works, key_refused, html or unreadable (or unreachable)."""
    module = module_for(protocol_of(base)[0])
    op = Op.BALANCE if module.PROTOCOL.has(Op.BALANCE) else Op.COUNTRIES
    started = time.monotonic()
    try:
        reply = ctx.api.exchange(base, module, op, {}, key)
    except (TransportError, Failure) as problem:
        steps["http"] = {"ok": False, "ms": elapsed_ms(started), "error": getattr(problem, "said", str(problem))}
        return "unreachable"
    step = steps["http"] = {"ok": False, "status": reply.status, "ms": elapsed_ms(started),
                            "content_type": reply.content_type}
    try:
        answer = module.read(op, reply)
    except Failure as failure:
        verdict = "key_refused" if failure.kind == "auth" else "html" if failure.reason == "html" else "unreadable"
        step.update(verdict=verdict.replace("_", " "), excerpt=excerpt(reply.body.decode("utf-8", "replace"), 200))
        return verdict
    step.update(ok=True, verdict="key accepted", **({"balance": answer} if op is Op.BALANCE else {}))
    return "works"


# ----------------------------------------------------------------------------- proxies

PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


def proxy_of_base(config, base, general):
    """The proxy a base is reached through (requests' choice: NO_PROXY, the base's scheme) and its report."""
    used, source = proxy_for(config, base)
    return general if (used, source) == (config.proxy, config.proxy_source) else proxy_report(config, used, source)


def proxy_report(config, url, source):
    """A proxy: where it comes from, whether its URL is one (host, port) and it accepts connections."""
    if not url:
        return {"url": None, "source": source or "none"}
    report = {"url": shown_proxy(url), "source": source}
    address = proxy_address(url)
    if not address:
        return {**report, "reachable": False, "error": "not a proxy URL (scheme://host:port)"}
    report["host"], report["port"] = address
    try:
        with socket.create_connection(address, config.connect_timeout):
            report["reachable"] = True
    except OSError as exc:
        report.update(reachable=False, error=describe_socket_error(exc))
    return report


def proxy_address(url):
    """(host, port) of a proxy URL, or None when it is not one (no known scheme, no host, a port out of range)."""
    parts = urlsplit(url)
    try:
        port = parts.port or 80
    except ValueError:
        return None
    return (parts.hostname, port) if parts.scheme.lower() in PROXY_SCHEMES and parts.hostname else None


def through_proxy(proxy, host, port, steps, timeout, tunnel):
    """The proxy's own connection, then (for https) its CONNECT tunnel to host:port."""
    sock = timed(steps, "proxy", lambda: socket.create_connection((proxy["host"], proxy["port"]), timeout))
    if tunnel:
        timed(steps, "connect_tunnel", lambda: open_tunnel(sock, host, port, timeout))
    return sock


def open_tunnel(sock, host, port, timeout):
    status = connect_status(sock, host, port, timeout)
    if not re.match(r"HTTP/1\.[01] 2\d\d", status):
        raise ValueError(f"the proxy refused the tunnel: {status}")
    return {"answer": status}


def connect_status(sock, host, port, timeout):
    """Ask for a CONNECT tunnel -> the proxy's status line ("" when what answered is not an HTTP proxy), within
    `timeout` seconds in all: a proxy that trickles its answer cannot hold the diagnosis."""
    ends = time.monotonic() + timeout
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 8192:
        left = ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("the proxy's answer to CONNECT took too long")
        sock.settimeout(left)
        chunk = sock.recv(1)  # byte by byte: nothing past the head may be taken from the tunnel
        if not chunk:
            break
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    return status if status.startswith("HTTP/") else ""


def local_proxies(config, bases):
    """When a base fails to connect or to complete TLS: the usual local proxy ports that are open, and whether they
    speak HTTP (CONNECT), which is what --proxy needs."""
    failing = [urlsplit(b["base_url"]) for b in bases if b.get("failed_step") in ("tcp", "tls", "dns", "proxy")]
    if not failing:
        return []
    target, found = failing[0], []
    for port in config.proxy_ports:
        try:
            sock = socket.create_connection(("127.0.0.1", port), 0.3)
        except OSError:
            continue
        with sock:
            try:
                status = connect_status(sock, target.hostname, target.port or 443, 2.0)
            except OSError as exc:
                status, error = "", describe_socket_error(exc)
            else:
                error = None if status else "answered, but not as an HTTP proxy (a SOCKS-only port?)"
        found.append({"port": port, "http_proxy": bool(status), "tunnel": bool(re.match(r"HTTP/1\.[01] 2", status)),
                      "answer": status or error})
    return found


# ----------------------------------------------------------------------------- findings, verdict, next steps

FINDINGS = {  # every finding and its kind, in the order their fixes are to be made: the most basic first
    "env_file_unreadable": "config", "bad_proxy": "config", "placeholder_key": "config", "missing_key": "config",
    "dead_proxy": "network", "no_internet": "network", "proxy_failed": "network", "dns_failed": "network",
    "tcp_failed": "network", "tls_failed": "network", "no_answer": "network", "html_answer": "network",
    "key_refused": "auth", "no_site_key": "auth", "unreadable_answer": "api",
}
KEY_FINDINGS = ("placeholder_key", "missing_key")
ALL_WELL = "Everything needed works. Next: `doctor --flow --test` for a free rehearsal, then `receive --test`, then " \
    "for real."


def finding(name, fix, variable=None, where=None):
    """One finding, in the shape config.complain gives the settings' own."""
    return {"finding": name, "kind": FINDINGS[name], "variable": variable, "where": where, "fix": fix}


def in_fix_order(findings):
    """Most basic first (FINDINGS' order); the bases' own order kept among findings of one name."""
    return sorted(findings, key=lambda one: list(FINDINGS).index(one["finding"]))


def where_set(settings, name):
    return "the environment" if settings.source(name) == "environment" else settings.source(name)


def local_http_proxy(found):
    """The port of the first local proxy found that answers as an HTTP proxy, or None."""
    return next((one["port"] for one in found if one["http_proxy"]), None)


def proxy_findings(config, proxy, found):
    """A proxy in effect that is no URL (config) or accepts no connection (network)."""
    if not proxy["url"] or proxy["reachable"]:
        return []
    source = proxy["source"]
    variable, where = (None, "the command line") if source == "--proxy" else (
        source, where_set(config.settings, source) if source == "SMSONLINE_PROXY" else "the environment")
    port = local_http_proxy(found)
    other = f" (a proxy answers on 127.0.0.1:{port}: http://127.0.0.1:{port})" if port else ""
    if "host" not in proxy:
        return [finding("bad_proxy", f"The proxy {proxy['url']} (from {source}) is not a proxy URL: write it as "
                        f"http://HOST:PORT, e.g. http://127.0.0.1:7890{other}, or unset it.", variable, where)]
    return [finding("dead_proxy", f"The proxy {proxy['url']} (from {source}) does not accept connections "
                    f"({proxy['error']}): start it, or fix {source}{other}.", variable, where)]


def base_findings(config, proxy, bases, found):
    """What failed at each base, in the bases' order, but for what one finding says for all: no internet at all
    (every name lookup failed), no key at all, a proxy that cannot be used."""
    lookups = [base["steps"]["dns"]["ok"] for base in bases if "dns" in base["steps"]]
    offline = bool(lookups) and not any(lookups)
    said_for_all = {"dns_failed": offline, "no_site_key": any(f["finding"] in KEY_FINDINGS for f in config.findings),
                    "proxy_failed": bool(proxy["url"]) and not proxy["reachable"]}
    hosts = ", ".join(base["host"] for base in bases)
    findings = [finding("no_internet", f"Connect this machine to a network (or fix its DNS: {hosts} did not "
                        "resolve), then run doctor again.", where="this machine")] if offline else []
    made = (BASE_FINDINGS[base["verdict"]](base, found) for base in bases)
    return findings + [one for one in made if one and not said_for_all.get(one["finding"])]


UNREACHABLE_STEPS = {"dns": ("dns_failed", "its name does not resolve"),
                     "tcp": ("tcp_failed", "it refuses or drops the connection"),
                     "tls": ("tls_failed", "its TLS handshake fails")}


def unreachable_finding(base, found):
    step, host = base.get("failed_step"), base["host"]
    if step == "proxy":
        return finding("proxy_failed", f"{host}: the proxy failed on the way ({base['steps']['proxy']['error']}): "
                       "check the proxy, or try again.", where=base["base_url"])
    if step in UNREACHABLE_STEPS:
        name, what = UNREACHABLE_STEPS[step]
        port = local_http_proxy(found)
        fix = (f"a local proxy answers on 127.0.0.1:{port}: add --proxy http://127.0.0.1:{port} (or put "
               f"SMSONLINE_PROXY=http://127.0.0.1:{port} in .env)" if port else
               "start your proxy (Clash, v2rayN …) and add --proxy http://127.0.0.1:PORT (or SMSONLINE_PROXY in .env)")
        return finding(name, f"{host}: {what} on this network; {fix}.", where=base["base_url"])
    error = base["steps"].get(step or "http", {}).get("error", "no answer")
    return finding("no_answer", f"{host}: {error}; try again later, or another network or proxy.",
                   where=base["base_url"])


BASE_FINDINGS = {
    "works": lambda base, found: None,
    "unreachable": unreachable_finding,
    "key_refused": lambda base, found: finding(
        "key_refused", f"{base['host']} refuses the key from {base['key_source']}: keys are per site, so set "
        f"{site_key_variable(base['base_url'])} to the key from {base['host']}'s own API page (in .env or the "
        "environment), or leave this site out with --base-url.", site_key_variable(base["base_url"]),
        base["base_url"]),
    "html": lambda base, found: finding(
        "html_answer", f"{base['host']}: an HTML page answered instead of the API (a block page or captive portal): "
        "sign in to the network, or try --proxy.", where=base["base_url"]),
    "unreadable": lambda base, found: finding(
        "unreadable_answer", f"{base['host']}: the answer could not be read; record one with --trace FILE and give "
        "the file to the skill's maintainer (reference/response-shapes.md).", where=base["base_url"]),
    "no_key": lambda base, found: finding(
        "no_site_key", f"{base['host']}: no key for this site: set {site_key_variable(base['base_url'])} or "
        f"{KEY_VARIABLE}.", site_key_variable(base["base_url"]), base["base_url"]),
}


def overall(findings, bases):
    """(verdict, failure kind or None) from the most basic failing finding: the settings (config, 2) fail the run
    even where a base works, since every other command refuses them; then, when no base works, the network (4), the
    key (auth, 3), the answers (api, 3)."""
    hosts = lambda verdict: ", ".join(b["host"] for b in bases if b["verdict"] == verdict)  # noqa: E731
    failing = [f for f in findings if f["kind"] == "config" or not hosts("works")]
    if not failing:
        return f"the key works at {hosts('works')}", None
    top = failing[0]
    verdicts = {
        "config": lambda: "the settings must be fixed first: " + ", ".join(
            f"{f['finding']} ({f['variable'] or f['where']})" for f in failing if f["kind"] == "config"),
        "network": lambda: {"no_internet": "no internet at all: no name lookup works",
                            "dead_proxy": f"the proxy in effect accepts no connection ({top['variable'] or '--proxy'})"
                            }.get(top["finding"], "no base URL could be reached with the API"),
        "auth": lambda: f"the key is refused at {hosts('key_refused')} and no base URL accepts it"
        if hosts("key_refused") else "no base URL that answers has a key for it",
        "api": lambda: f"{hosts('unreadable')} answered, but not in a form the skill can read",
    }
    return verdicts[top["kind"]](), top["kind"]


def key_unchecked(bases):
    """Each base with a key says whether it was checked (key_checked); when none was (no site was reached with it),
    the sentence that says so, else None."""
    with_a_key = [base for base in bases if base["key_variable"]]
    for base in with_a_key:
        base["key_checked"] = base["verdict"] in ("works", "key_refused")
    if not with_a_key or any(base["key_checked"] for base in with_a_key):
        return None
    names = ", ".join(sorted({base["key_variable"] for base in with_a_key}))
    return f"the key ({names}) could not be checked: no site was reached with it"


def key_report(config):
    """Where each key comes from: variable and source, never any part of the key."""
    return {name: config.settings.source(name) for name in sorted(config.keys)} or \
        ({"built-in sandbox key": "--sandbox"} if config.sandbox else {})


# ----------------------------------------------------------------------------- --flow: a free rehearsal

class Recorder:
    """Keeps what the rehearsal's exchanges answered (and passes them to the run's --trace, if any)."""

    def __init__(self, tracer):
        self.tracer, self.exchanges = tracer, []

    def write(self, kind, record):
        self.exchanges.append(record)
        if self.tracer:
            self.tracer.write(kind, record)


MONEY_EXCHANGES = tuple(op.value for op in (Op.BUY, Op.READ, Op.FINISH, Op.CANCEL, Op.REFUND))  # traced by operation


def rehearsal(ctx, args, base):
    """buy --test on the first working base, one get-sms, then a cancel; the shape of each answer."""
    ctx.config.base_urls = [base]
    recorder = Recorder(ctx.api.tracer)
    ctx.api.tracer = recorder
    countries, services = catalog(ctx, "country"), catalog(ctx, "service")
    if not (args.country or countries) or not (args.service or services):
        raise Failure("api", f"{urlsplit(base).hostname} lists no countries or no services: give --country and "
                      "--service for the rehearsal.")
    buy = types.SimpleNamespace(country=args.country or countries[0]["id"], service=args.service or services[0]["id"],
                                operator=args.operator, hold=600, replace=False)

    def check_then_cancel(order, replaced, warnings):
        state = fetch_sms(ctx, order)
        settle(ctx, order, CANCEL)
        return {"order_id": order["order_id"], "sms_code_seen": bool(state.code), "order_status": order["state"]}
    outcome = with_bought_number(ctx, buy, check_then_cancel)
    shapes = [{"endpoint": r["endpoint"], "status": r.get("status"), "shape": shape_of_text(r.get("text"))}
              for r in recorder.exchanges if r["endpoint"] in MONEY_EXCHANGES]
    return {**outcome, "base_url": base, "answers": shapes}


def shape_of_text(text):
    if text is None:
        return None
    try:
        return shape_of(json.loads(text))
    except ValueError:
        return f"text: {re.sub(r'[0-9]', '9', excerpt(text, 60))}"


def shape_of(value, depth=0):
    """Field names and types, values masked (digits as 9) so the shape can be shared without the data."""
    if depth > 6:
        return "…"
    if isinstance(value, dict):
        return {key: shape_of(item, depth + 1) for key, item in list(value.items())[:30]}
    if isinstance(value, list):
        return [shape_of(value[0], depth + 1), f"{len(value)} items"] if value else []
    if isinstance(value, str):
        return f"str {re.sub(r'[0-9]', '9', excerpt(value, 40))!r}"
    return type(value).__name__ if value is not None else "null"
