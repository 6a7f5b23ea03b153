"""Configuration: flags over the environment over the skill's .env file; an API key per site; sane bounds."""
from __future__ import annotations

import argparse
import collections
import math
import os
import re
import types

from .output import Failure

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
        return {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        complain(findings, "env_file_unreadable", None, env_file,
                 f"{env_file} cannot be read ({getattr(exc, 'strerror', None) or 'not UTF-8 text'}): make it a "
                 "readable UTF-8 text file of NAME=value lines (see .env.example).")
        return {}


# [a protocol prefix: platform.FORCING_PREFIXES] scheme, host, port, path
BASE_URL = r"(?i)^(?:(?:sms-activate|smsonline)\+)?(https?)://(\[[^\]/\s]+\]|[^/:?#@\[\]\s]+)(:\d+)?(/[^?#\s]*)?$"


def host_of(base):
    match = re.match(BASE_URL, base)
    return match.group(2).strip("[]").lower() if match else ""


def site_token(base):
    """A site's part of its own variables' names: the host upper-cased, every character but A-Z and 0-9 as _."""
    return re.sub(r"[^A-Z0-9]", "_", host_of(base).upper())


def site_key_variable(base):
    """SMSONLINE_API_KEY_<HOST>: a site's own key."""
    return f"{KEY_VARIABLE}_{site_token(base)}"


# A site's spending limits, in its own currency: counts(base_url) says which orders its daily budget counts.
Limits = collections.namedtuple("Limits", "max_price daily_budget counts names")


def limits_for(config, base):
    """The limits that hold at a site. SMSOnline v1 sites share SMSONLINE_MAX_PRICE and SMSONLINE_DAILY_BUDGET
    (SMSOnline's currency, over every v1 site's orders). A site of another protocol prices in its own currency, so
    it takes its own SMSONLINE_MAX_PRICE_<HOST> / SMSONLINE_DAILY_BUDGET_<HOST> (over every order at that host,
    whatever its path) and never the general ones: while a general limit is set, each is needed, and while the
    user's own .env sets a limit, they must be set there (anywhere else they could only have been made up by an
    agent). Prices are never compared across currencies."""
    from .platform import SMSONLINE_V1, protocol_of

    if protocol_of(base)[0] == SMSONLINE_V1 or config.sandbox:
        return Limits(config.max_price, config.daily_budget, lambda url: protocol_of(url)[0] == SMSONLINE_V1,
                      ("SMSONLINE_MAX_PRICE", "SMSONLINE_DAILY_BUDGET"))
    names = tuple(f"SMSONLINE_{name}_{site_token(base)}" for name in ("MAX_PRICE", "DAILY_BUDGET"))
    own = [user_limit(config.settings, name[len("SMSONLINE_"):].lower(), flag)
           for name, flag in zip(names, (config.max_price_flag, None))]
    users_file = config.settings.user_file
    limited_by_user = users_file_sets_a_limit(config.settings)
    general = (user_limit(config.settings, "max_price"), config.daily_budget)
    missing = [name for name, mine, theirs in zip(names, own, general)
               if theirs is not None and (mine is None or limited_by_user and not users_file.get(name))]
    if missing:
        raise Failure("budget", f"the user's price limit and daily budget are in SMSOnline's currency, and "
                      f"{host_of(base)} prices in its own, so they cannot be compared: this site sells nothing until "
                      f"the user sets {' and '.join(missing)} in the skill's .env.", reason="skip_site")
    token = site_token(base)  # the variables are per host: so is what their budget counts
    return Limits(own[0], own[1], lambda url: protocol_of(url)[0] != SMSONLINE_V1 and site_token(url) == token, names)


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
    SMSONLINE_STATE_DIR, else ~/.smsonline of the account: neither the environment, another env file, HOME nor a
    flag moves it (the money already spent must count). Otherwise SMSONLINE_STATE_DIR, else ~/.smsonline."""
    if users_file_sets_a_limit(settings):
        return os.path.expanduser(settings.user_file.get("SMSONLINE_STATE_DIR") or
                                  os.path.join(account_home(), ".smsonline"))
    return os.path.expanduser(settings.get("SMSONLINE_STATE_DIR") or "~/.smsonline")


def clean_base_url(url):
    url = url.strip().rstrip("/")
    host = host_of(url)
    labels = host.split(".") if host and ":" not in host else []
    if not re.match(BASE_URL, url) or len(host) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        raise Failure("config", f"base URL {url!r} must look like https://host/api/v1 (SMSOnline) or "
                      "https://host/stubs/handler_api.php (sms-activate).")
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
    from .platform import protocol_of

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
        state_dir=os.path.expanduser(args.state_dir or settings.get("SMSONLINE_STATE_DIR") or user_state_dir),
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
        if not (args.state_dir or settings.get("SMSONLINE_STATE_DIR")):
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
