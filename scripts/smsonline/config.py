"""Configuration: flags over the environment over the skill's .env file; an API key per site; sane bounds."""
from __future__ import annotations

import argparse
import collections
import math
import os
import re
import types

from .output import Failure
from .platform import DEFAULT, REGISTRY, declared, protocol_of

SKILL_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER_ENV_FILE = os.path.join(SKILL_DIR, ".env")  # the user's own settings: their limits hold whatever else is set
DEFAULT_BASE_URLS = ("https://premium.smsonline.cloud/api/v1", "https://smsonline.io/api/v1")
SANDBOX_KEY = "test-key-sandbox"
KEY_VARIABLE = "SMSONLINE_API_KEY"
MAX_SECONDS = 3600.0  # no wait, timeout or hold beyond an hour: past that, a typo is likelier than a wish
MIN_INTERVAL_S = 0.5  # --interval: polls no closer than this
PLACEHOLDER = r"(?i)replace|your|[<>]|xxx"
MIN_KEY_LENGTH = 8
# Local proxy ports `doctor` looks for: Clash (7890, 7891), Clash Verge Rev (7897), v2rayN (10809 http, 10808 socks),
# ShadowsocksX-NG (1087), Qv2ray (8889), Surge (6152), v2rayA (20171), plain SOCKS (1080).
DEFAULT_PROXY_PORTS = (7890, 7897, 7891, 10809, 10808, 1087, 1080, 8889, 6152, 20171)


class Config(types.SimpleNamespace):
    """One run's settings (see load_config); key_for(base) gives the key a base URL is called with."""

    def key_for(self, base):
        """(key, variable, source) for a base URL: its site's own variable wins over SMSONLINE_API_KEY."""
        if self.sandbox:
            return SANDBOX_KEY, "built-in sandbox key", "--sandbox"
        for variable in (site_key_variable(base), KEY_VARIABLE):
            if self.keys.get(variable):
                return self.keys[variable], variable, self.settings.source(variable)
        return None, site_key_variable(base), None


class Settings(dict):
    """The environment over the .env file, remembering where each value came from."""

    def __init__(self, environ, from_file, env_file, user_file=None):
        super().__init__({**from_file, **environ})
        self.environ, self.from_file, self.env_file = environ, from_file, env_file
        self.user_file = user_file if user_file is not None else {}

    def source(self, name):
        return "environment" if name in self.environ else self.env_file

    def secrets(self):
        """Every value set under an SMSONLINE_API_KEY name, valid or not (as given and stripped), and a proxy's
        password: all of them are kept out of the output."""
        keys = [value for name, value in self.items() if name.startswith(KEY_VARIABLE) and value]
        proxies = [value for name, value in self.items() if name.upper() in PROXY_VARIABLES and value]
        return [*keys, *(key.strip() for key in keys), *(secret for url in proxies for secret in proxy_secrets(url))]


def complain(findings, finding, variable, where, message):
    """A problem in the settings: a config Failure, or, when `findings` is a list (doctor's), one more finding
    {"finding", "kind", "variable", "where", "fix"} and the run goes on without the setting."""
    if findings is None:
        raise Failure("config", message)
    findings.append({"finding": finding, "kind": "config", "variable": variable, "where": where, "fix": message})


def read_settings(environ, findings=None):
    """The process environment over the skill's ``.env``, or the file SMSONLINE_ENV_FILE names (never an upward
    search). The skill's own .env is read in any case: the user's limits there hold, whatever file is named."""
    named = environ.get("SMSONLINE_ENV_FILE")
    env_file = os.path.expanduser(named) if named else USER_ENV_FILE
    readable = os.path.exists(env_file) and not os.path.isdir(env_file)  # /dev/null counts: "no settings"
    if named and not readable:
        complain(findings, "env_file_unreadable", "SMSONLINE_ENV_FILE", env_file,
                 f"SMSONLINE_ENV_FILE names {env_file}, which is not a readable file: point it at your settings "
                 "file, or unset it.")
    from_file = values_in(env_file, findings) if readable else {}
    user_file = from_file if env_file == USER_ENV_FILE else values_in(USER_ENV_FILE, findings) \
        if os.path.isfile(USER_ENV_FILE) else {}
    return Settings(environ, from_file, env_file, user_file)


def values_in(env_file, findings=None):
    """The settings in an env file; one that cannot be read (no permission, not UTF-8 text) is a config problem."""
    try:
        if os.stat(env_file).st_size == 0:
            return {}
        from dotenv import dotenv_values  # only when there is a file to read: it is start-up time otherwise
        # interpolate=False: a ${HOME} in a settings file stays as written, so the run's environment never fills in
        # (and moves) what the user wrote, such as the ledger's folder
        return {k: v for k, v in dotenv_values(env_file, interpolate=False).items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        complain(findings, "env_file_unreadable", None, env_file,
                 f"{env_file} cannot be read ({getattr(exc, 'strerror', None) or 'not UTF-8 text'}): make it a "
                 "readable UTF-8 text file of NAME=value lines (see .env.example).")
        return {}


# [a registered protocol's prefix] scheme, host, port, path
BASE_URL = r"(?i)^(?:%s)?(https?)://(\[[^\]/\s]+\]|[^/:?#@\[\]\s]+)(:\d+)?(/[^?#\s]*)?$" % "|".join(
    re.escape(entry.prefix) for entry in REGISTRY)


def host_of(base):
    match = re.match(BASE_URL, base)
    return match.group(2).strip("[]").lower() if match else ""


def site_of(base):
    """A site's identity, however its address is spelt: the host in lower case without a trailing dot, an IP address
    in its one canonical form (127.1, 2130706433, 0x7f.0.0.1 and ::ffff:127.0.0.1 are all 127.0.0.1: the forms the
    system's resolver reads alike). Scheme, port and path are no part of it: every base URL at a host is that site.
    A name and the address it resolves to stay two sites (that cannot be known without asking DNS)."""
    import ipaddress

    host = host_of(base).rstrip(".")
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        address = numeric_ipv4(host)
    if address is None:
        return host
    return str(getattr(address, "ipv4_mapped", None) or address)


def numeric_ipv4(host):
    """An IPv4 address written as the C library reads one (1 to 4 parts, decimal, octal or hex), else None."""
    import ipaddress
    import socket

    if not re.fullmatch(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def site_token(base):
    """A site's part of its own variables' names: the site (site_of) upper-cased, every character but A-Z and 0-9
    as _."""
    return re.sub(r"[^A-Z0-9]", "_", site_of(base).upper())


def site_key_variable(base):
    """SMSONLINE_API_KEY_<HOST>: a site's own key."""
    return f"{KEY_VARIABLE}_{site_token(base)}"


LIMIT_KINDS = ("max_price", "daily_budget")
# A site's spending limits: the lowest price limit that holds there, and every daily budget that covers it, each
# with counts(base_url), which says which orders that budget counts (its sites share its currency).
Limits = collections.namedtuple("Limits", "max_price budgets")
Budget = collections.namedtuple("Budget", "amount variable counts")


def limits_for(config, base):
    """The limits that hold at a site. SMSONLINE_MAX_PRICE and SMSONLINE_DAILY_BUDGET are in SMSOnline's currency:
    they hold at SMSOnline v1 sites, the budget over all their orders. A site's own SMSONLINE_MAX_PRICE_<SITE> and
    SMSONLINE_DAILY_BUDGET_<SITE>, in its own currency, hold there whatever its protocol (the budget over that site's
    orders), together with the general ones (the stricter holds). Where any limit is set, a site that none covers
    sells nothing (`budget`, naming the variables to set), and a site of another protocol needs its own counterpart
    of each general limit; while the user's own .env sets a limit, a site's own limits cover it only when they are
    in that file (anywhere else an agent could have made them up). Prices are never compared across currencies."""
    def is_v1(url):
        return protocol_of(url)[0] == DEFAULT.name

    general_budget = [Budget(config.daily_budget, "SMSONLINE_DAILY_BUDGET", is_v1)] if config.daily_budget else []
    if config.sandbox:  # a rehearsal: the general limits, over the sandbox's own ledger
        return Limits(config.max_price, general_budget)
    token, v1 = site_token(base), is_v1(base)
    names = {kind: f"SMSONLINE_{kind.upper()}_{token}" for kind in LIMIT_KINDS}
    own = {kind: user_limit(config.settings, f"{kind}_{token.lower()}", config.max_price_flag if kind == "max_price"
                            else None) for kind in LIMIT_KINDS}
    general = {"max_price": user_limit(config.settings, "max_price"), "daily_budget": config.daily_budget}
    trusted = config.settings.user_file if users_file_sets_a_limit(config.settings) else \
        {**config.settings.user_file, **config.settings}
    covered = {kind: v1 and general[kind] is not None or bool(trusted.get(names[kind])) for kind in LIMIT_KINDS}
    missing = [names[kind] for kind in LIMIT_KINDS if general[kind] is not None and not covered[kind]]
    if not any(covered.values()) and any_limit_is_set(config.settings):
        missing = missing or list(names.values())
    if missing:
        raise uncovered_site(base, missing, other_currency=not v1 and any(v is not None for v in general.values()))
    budgets = general_budget if v1 else []
    if own["daily_budget"] is not None:
        budgets = [*budgets, Budget(own["daily_budget"], names["daily_budget"], lambda url: site_token(url) == token)]
    return Limits(lowest(config.max_price if v1 else None, own["max_price"]), budgets)


def uncovered_site(base, missing, other_currency):
    """`budget` for a site no limit of the user's covers: it sells nothing, and the next site is tried."""
    why = f"the user's price limit and daily budget are in SMSOnline's currency, and {site_of(base)} prices in " \
        f"{declared(base).currency or 'its own'}, so they cannot be compared" if other_currency else \
        f"the user has set spending limits, and none covers {site_of(base)} (a site's own limits are named for its " \
        "host, however its address is written)"
    return Failure("budget", f"{why}: this site sells nothing until the user sets {' and '.join(missing)} in the "
                   "skill's .env.", reason="skip_site")


def any_limit_is_set(settings):
    """Some price limit or daily budget is set: in the environment, in an env file or in the user's .env."""
    return any(name.startswith(("SMSONLINE_MAX_PRICE", "SMSONLINE_DAILY_BUDGET")) and value
               for name, value in [*settings.items(), *settings.user_file.items()])


def checked_keys(settings, findings=None):
    """Every key setting, refused with a config error when it is a placeholder or too short to be a key (with
    `findings`, noted there and left out)."""
    keys = {}
    for name, value in settings.items():
        if name != KEY_VARIABLE and not name.startswith(KEY_VARIABLE + "_"):
            continue
        if not value.strip() or re.search(PLACEHOLDER, value) or len(value.strip()) < MIN_KEY_LENGTH:
            where = "the environment" if settings.source(name) == "environment" else settings.source(name)
            complain(findings, "placeholder_key", name, where, f"{name} in {where} is a placeholder or empty, not an "
                     "API key: put your SMSOnline key there (API page of the site), or unset it.")
            continue
        keys[name] = value.strip()
    return keys


def bounded_seconds(low=0.0, high=MAX_SECONDS):
    """An argparse type: a finite number of seconds in (low, high], or [low, high] when low > 0."""
    def parse(text):
        try:
            value = float(text)
        except (TypeError, ValueError):
            value = math.nan
        if not (math.isfinite(value) and value > 0 and low <= value <= high):
            floor = f"at least {low:g}" if low else "greater than 0"
            raise argparse.ArgumentTypeError(f"must be a number of seconds {floor} and at most {high:g}, got {text!r}")
        return value
    return parse


def positive_number(text):
    """A finite number above 0 (prices, budgets)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number greater than 0, got {text!r}")
    return value


def setting(flag_value, settings, name, parse, default=None):
    """A value from its flag, else its SMSONLINE_ variable, else the default; a bad variable is a config error."""
    if flag_value is not None:
        return flag_value
    variable = f"SMSONLINE_{name.upper()}"
    if not settings.get(variable):
        return default
    try:
        return parse(settings[variable])
    except argparse.ArgumentTypeError as exc:
        raise Failure("config", f"{variable} {exc}.") from None


def user_limit(settings, name, flag_value=None):
    """A spending limit: the lowest of its flag, its variable in the environment and in the .env file. Each may lower
    the user's limit, none can raise it (an agent may set a flag or a variable; the .env file is the user's)."""
    return lowest(flag_value, *(setting(None, source, name, positive_number)
                                for source in (settings.environ, settings.from_file, settings.user_file)))


def account_home():
    """The account's home folder, from the system's user database: HOME in the environment does not move it."""
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return os.path.expanduser("~")


def users_file_sets_a_limit(settings):
    """The user's own .env sets a price limit or a daily budget (general or per host)."""
    return any(name.startswith(("SMSONLINE_MAX_PRICE", "SMSONLINE_DAILY_BUDGET")) and value
               for name, value in settings.user_file.items())


def users_state_dir(settings):
    """The ledger that purchases must be recorded in. While the user's own .env sets a limit, it is that file's
    SMSONLINE_STATE_DIR, else ~/.smsonline of the account: neither the environment, another env file, HOME, the
    current folder nor a flag moves it (the money already spent must count). Otherwise SMSONLINE_STATE_DIR, else
    ~/.smsonline."""
    if users_file_sets_a_limit(settings):
        return in_the_users_terms(settings.user_file.get("SMSONLINE_STATE_DIR") or "~/.smsonline")
    return state_dir_setting(settings) or os.path.expanduser("~/.smsonline")


def state_dir_setting(settings):
    """SMSONLINE_STATE_DIR as set, or None: from the environment or a file an agent named, as the run reads it;
    else from the user's own .env, in the user's terms."""
    value = settings.get("SMSONLINE_STATE_DIR")
    if value and settings.source("SMSONLINE_STATE_DIR") != USER_ENV_FILE:
        return os.path.expanduser(value)
    value = value or settings.user_file.get("SMSONLINE_STATE_DIR")
    return in_the_users_terms(value) if value else None


def in_the_users_terms(path):
    """A path the user wrote in the skill's .env, as they meant it: ~ (or a leading $HOME, ${HOME}) is the account's
    own home (from the system's user database, not the run's $HOME), and a relative path is in the skill's folder
    (not the run's current folder)."""
    home = re.match(r"(~|\$HOME|\$\{HOME\})(?=/|$)", path)
    if home:
        path = account_home() + path[home.end():]
    else:
        path = os.path.expanduser(path)  # ~name: that account's home, from the user database too
    return os.path.normpath(os.path.join(SKILL_DIR, path))


def clean_base_url(url):
    url = url.strip().rstrip("/")
    host = host_of(url)
    labels = host.split(".") if host and ":" not in host else []
    if not re.match(BASE_URL, url) or len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise Failure("config", f"base URL {url!r} must look like https://host/api/v1 (SMSOnline), "
                      "https://host/stubs/handler_api.php (sms-activate) or https://5sim.net/v1 (5sim), or any "
                      f"address with a protocol prefix ({', '.join(entry.prefix for entry in REGISTRY)}).")
    return url


PROXY_VARIABLES = ("SMSONLINE_PROXY", "HTTPS_PROXY", "ALL_PROXY", "HTTP_PROXY")


def proxy_parts(url):
    """(scheme, credentials, host[:port], rest) of a proxy URL, read as the HTTP stack reads it (urllib3's parse_url):
    a scheme added when missing, the authority up to the first / ? #, the credentials up to its LAST @ (a password
    may hold an @)."""
    url = (url or "").strip()
    if "://" not in url:
        url = "http://" + url
    scheme, _, rest = url.partition("://")
    authority, tail = re.match(r"([^/?#]*)(.*)", rest, re.S).groups()
    credentials, at, host = authority.rpartition("@")
    return scheme, credentials if at else None, host, tail


def proxy_password(url):
    """A proxy URL's password (as written, and percent-decoded when that differs are both secrets), or None."""
    credentials = proxy_parts(url)[1] if url else None
    return credentials.partition(":")[2] or None if credentials else None


def proxy_secrets(url):
    """A proxy's password as the HTTP stack reads it, and as written up to the last @ (a password with # / ? in it
    is cut short by URL parsing, yet it is still a secret), both as written and percent-decoded."""
    loose = (url or "").partition("://")[2] if "://" in (url or "") else url or ""
    written = loose.rpartition("@")[0].partition(":")[2] if "@" in loose else None
    passwords = [p for p in dict.fromkeys([proxy_password(url), written]) if p]
    credentials = loose.rpartition("@")[0] if "@" in loose else None
    return [*(secret for password in passwords for secret in decoded_too(password)),
            *(basic_auth(credentials) if credentials and passwords else [])]


def basic_auth(credentials):
    """The Proxy-Authorization value a proxy can echo back: base64 of user:password."""
    import binascii

    return [binascii.b2a_base64(credentials.encode("utf-8"), newline=False).decode("ascii")]


def decoded_too(password):
    from urllib.parse import unquote  # only for a password to mask: start-up time otherwise

    return [password, unquote(password)]


def shown_proxy(url):
    """A proxy URL as it may be shown: its scheme made explicit, everything before its last @ masked."""
    if not url:
        return url
    scheme = proxy_parts(url)[0]
    rest = url.strip().partition("://")[2] if "://" in url else url.strip()
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{'***@' if at else ''}{host}"


# as requests picks them: the scheme's own before ALL_PROXY, and a lowercase name before its uppercase twin
ENVIRONMENT_PROXIES = {"https": ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"),
                       "http": ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")}


def proxy_for(config, base):
    """(proxy URL or None, where it came from) for one base URL, as requests chooses it: --proxy or SMSONLINE_PROXY
    for every site; else the environment's proxy for the base's scheme (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY), unless
    NO_PROXY names the host ("NO_PROXY" is then the source)."""
    if config.sandbox:
        return None, None
    if config.proxy_source in ("--proxy", "SMSONLINE_PROXY"):
        return config.proxy, config.proxy_source
    parts = re.match(r"(?i)(https?)://(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?", protocol_of(base)[1])
    scheme, host, port = parts.group(1).lower(), parts.group(2).strip("[]").lower(), parts.group(3)
    name = next((name for name in ENVIRONMENT_PROXIES[scheme] if config.environ.get(name)), None)
    if name is None:
        return None, None
    if bypassed(host, port, config.environ.get("no_proxy") or config.environ.get("NO_PROXY") or ""):
        return None, "NO_PROXY"
    return config.environ[name], name.upper()


def bypassed(host, port, no_proxy):
    """NO_PROXY as requests reads it (requests.utils.should_bypass_proxies): `*`; for an IP address, entries that
    are that address or a network holding it; for a name, entries the name (or name:port) ends with."""
    import ipaddress

    entries = [entry.strip().lower() for entry in no_proxy.replace(" ", "").split(",") if entry.strip()]
    if "*" in entries:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        with_port = f"{host}:{port}" if port else host
        return any(host.endswith(entry) or with_port.endswith(entry) for entry in entries)
    return any(entry == host or "/" in entry and in_network(address, entry) for entry in entries)


def in_network(address, entry):
    import ipaddress

    try:
        return address in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


def proxy_in_effect(args, settings, environ):
    """(proxy URL, where it came from): --proxy, SMSONLINE_PROXY, or the environment's HTTPS_PROXY / ALL_PROXY."""
    if args.proxy:
        return args.proxy, "--proxy"
    if settings.get("SMSONLINE_PROXY"):
        return settings["SMSONLINE_PROXY"], "SMSONLINE_PROXY"
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        if environ.get(name):
            return environ[name], name.upper()
    return None, None


def load_config(args, environ, lenient=False):
    """The run's Config. lenient (doctor): problems in the settings become config.findings instead of a Failure."""
    findings = [] if lenient else None
    settings = read_settings(environ, findings)
    urls = configured_base_urls(args, settings)
    user_state_dir = users_state_dir(settings)
    proxy, proxy_source = proxy_in_effect(args, settings, environ)
    seconds = bounded_seconds()
    config = Config(
        settings=settings, keys={} if args.sandbox else checked_keys(settings, findings),
        findings=[] if findings is None else findings,
        base_urls=list(dict.fromkeys(clean_base_url(u) for u in urls)),
        proxy=proxy, proxy_source=proxy_source,
        state_dir=os.path.expanduser(args.state_dir) if args.state_dir else state_dir_setting(settings) or
        user_state_dir,
        user_state_dir=user_state_dir,
        connect_timeout=setting(args.connect_timeout, settings, "connect_timeout", seconds, 5.0),
        read_timeout=setting(args.read_timeout, settings, "read_timeout", seconds, 15.0),
        max_price=user_limit(settings, "max_price", getattr(args, "max_price", None)),
        max_price_flag=getattr(args, "max_price", None),
        daily_budget=user_limit(settings, "daily_budget"),
        progress_every=setting(None, settings, "progress_every", seconds, 15.0),
        trace=args.trace or settings.get("SMSONLINE_TRACE") or None,
        proxy_ports=proxy_ports(settings),
        test=args.test, verbose=args.verbose, quiet=args.quiet, sandbox=args.sandbox, refresh=args.refresh,
        environ=environ,
        sandbox_args=settings.get("SMSONLINE_SANDBOX_ARGS", ""),
    )
    if config.sandbox:  # loopback: its own key, no proxy, a state dir of its own
        config.proxy, config.proxy_source = None, None
        if not (args.state_dir or state_dir_setting(settings)):
            config.state_dir = os.path.join(config.state_dir, "sandbox")
    elif lenient and not any(f["finding"] == "placeholder_key" for f in findings):  # that fix already says it
        require_a_key(config, findings)
    return config


def configured_base_urls(args, settings):
    """--base-url (the whole list); else SMSONLINE_BASE_URLS or the defaults, then SMSONLINE_EXTRA_BASE_URLS: a site
    is added without retyping the defaults, which stay (and follow a new version's defaults)."""
    def listed(name):
        return [url for url in settings.get(name, "").split(",") if url.strip()]
    if args.base_url:
        return args.base_url
    return [*(listed("SMSONLINE_BASE_URLS") or DEFAULT_BASE_URLS), *listed("SMSONLINE_EXTRA_BASE_URLS")]


def lowest(*limits):
    """The lowest limit given: any may lower the user's limit, none raise it."""
    given = [limit for limit in limits if limit is not None]
    return min(given) if given else None


def proxy_ports(settings):
    text = settings.get("SMSONLINE_PROXY_PORTS")
    if not text:
        return DEFAULT_PROXY_PORTS
    try:
        return tuple(int(port) for port in text.split(",") if port.strip())
    except ValueError:
        raise Failure("config", f"SMSONLINE_PROXY_PORTS must be comma-separated port numbers, got {text!r}.") from None


def require_a_key(config, findings=None):
    """Before any request: at least one base URL has a key."""
    if not any(config.key_for(base)[0] for base in config.base_urls):
        names = ", ".join(sorted({site_key_variable(b) for b in config.base_urls}))
        complain(findings, "missing_key", KEY_VARIABLE, config.settings.env_file,
                 f"no API key: set {KEY_VARIABLE} (or a site's own {names}) in the environment or in "
                 f"{os.path.join(SKILL_DIR, '.env')} (see .env.example); try --sandbox to rehearse without one.")
