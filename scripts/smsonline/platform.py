"""The platform layer: what the flows ask of a platform (operations), what they send (actions), and the one registry
of the protocols a site may speak. The flows know only these; each protocol module maps them to requests and reads
the answers back into the common shapes: a list of items, a purchase, an SmsState (shapes.py), an acknowledgement, a
balance, or a designed Failure. Every protocol decodes bytes with decoding.py and asks coderule.py what in an SMS is a
code.

REGISTRY holds one line per protocol: its name (as the ledger records it), the URL prefix that forces it
(`5sim+http://127.0.0.1:8765/v1`), which URLs it claims without a prefix (a host, or a path's last segment), and the
module that speaks it. Every layer reads it: config builds its base-URL check from the prefixes, protocol_of finds a
site's protocol, module_for imports a protocol's module on first use only (start-up time: the registry itself imports
nothing). Each module declares the rest as PROTOCOL = declare(__name__, …), a Protocol the other layers read: how the
key travels (a query parameter or a header), the operations it has (refund, another SMS …), whether it has a test
mode, its early-cancel window, its currency where known, its tables of refusals and states.

Adding a protocol takes exactly:
  1. its module here, `scripts/smsonline/<module>.py`, with
       PROTOCOL = declare(__name__, key_param=… or key_header=…, operations=…, test_mode=…, refusals=…, states=…)
       request(op, params) -> (path, query)    the path below the base URL ("" for none) and the query, key excluded
       read(op, reply, order=None, code_regex=None, seen=())    a Reply -> the common shape for op, or a Failure
     (a strict protocol reads its answers with strict.py, as sms_activate and fivesim do);
  2. one line in REGISTRY below (before the last, SMSOnline v1, which speaks for every URL nobody else claims);
  3. its sandbox class, in its own scripts/smsonline_sandbox_<module>.py on smsonline_sandbox_market's platform (as
     _v1, _sms_activate and _fivesim are), and one line in smsonline_sandbox.py's PROTOCOLS under the same name;
  4. its tests (a module test like tests/test_fivesim.py, a row in tests/e2e/test_both_protocols.py's PROTOCOLS);
  5. its docs: a section of reference/api.md listing every accepted answer (its tables are tied to the module's by a
     test), a section of reference/sandbox.md, a row in README's protocol list.
Nothing else changes: flows, http, config, doctor and the ledger read the declaration.
"""
from __future__ import annotations

import collections
import enum
import re


class Op(enum.Enum):
    """An operation on a platform."""
    COUNTRIES = "countries"
    SERVICES = "services"
    PRODUCTS = "products"
    BALANCE = "balance"
    BUY = "buy"
    READ = "read"  # the order's state and its SMS
    FINISH = "finish"  # the code was used: the order is complete (charged)
    CANCEL = "cancel"  # unused: cancelled and refunded
    REFUND = "refund"  # a refund asked for after the code came (where the platform has it)
    ANOTHER_SMS = "another_sms"  # the site resent its SMS: wait for the next one on the same number


class Kind(enum.Enum):
    """What a failure of an operation can mean, which decides retries, redirects and fallback to the next site."""
    READ = "read"  # changes nothing: retried, and another site may be asked
    BUY = "buy"  # spends money: sent once; after it may have left, never retried nor sent elsewhere
    SETTLE = "settle"  # changes one order, idempotent: retried at the site that sold it, never elsewhere


KIND_OF = {Op.BUY: Kind.BUY, Op.FINISH: Kind.SETTLE, Op.CANCEL: Kind.SETTLE, Op.REFUND: Kind.SETTLE,
           Op.ANOTHER_SMS: Kind.SETTLE}


def kind_of(op):
    return KIND_OF.get(op, Kind.READ)


# name, the prefix that forces it, the URLs it claims without one (a host and its subdomains, or a path's last
# segment; neither: every URL nobody else claims), and its module in this package
Registered = collections.namedtuple("Registered", "name prefix host path_end module")
REGISTRY = (
    Registered("sms-activate", "sms-activate+", None, "handler_api.php", "sms_activate"),
    Registered("5sim", "5sim+", "5sim.net", None, "fivesim"),
    Registered("smsonline-v1", "smsonline+", None, None, "smsonline_v1"),  # the default: last
)
BY_NAME = {entry.name: entry for entry in REGISTRY}
DEFAULT = REGISTRY[-1]


def protocol_of(url):
    """(protocol name, base URL without a forcing prefix): a registered prefix forces its protocol; else the first
    protocol that claims the URL's host or the last segment of its path; else the default (SMSOnline v1)."""
    for entry in REGISTRY:
        if url.lower().startswith(entry.prefix):
            return entry.name, url[len(entry.prefix):]
    return claimant(url).name, url


def claimant(url):
    """The registered protocol that claims a URL without a prefix."""
    match = re.match(r"(?i)^[a-z][a-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^\]]*\]|[^/:?#]*)(?::\d*)?([^?#]*)", url)
    host, path = (match.group(1).lower().rstrip("."), match.group(2).rstrip("/").lower()) if match else ("", "")
    for entry in REGISTRY:
        if entry.host and (host == entry.host or host.endswith("." + entry.host)):
            return entry
        if entry.path_end and path.endswith(entry.path_end):
            return entry
    return DEFAULT


def module_for(name):
    """The protocol module for a protocol name (imported on first use: start-up time)."""
    import importlib

    return importlib.import_module(f"{__package__}.{BY_NAME.get(name, DEFAULT).module}")


def declared(name_or_url):
    """The Protocol a protocol name, or a base URL, speaks (its module imported on first use)."""
    name = name_or_url if name_or_url in BY_NAME else protocol_of(name_or_url)[0]
    return module_for(name).PROTOCOL


class Protocol(collections.namedtuple("Protocol", (
        "name prefix module key_param key_header headers operations test_mode early_cancel_s currency refusals "
        "states catalogs"))):
    """What a protocol is, as its module declares it (declare()), read by every layer.

    key_param / key_header: the query parameter, or the header and its value ("Bearer {key}"), that carries the key
    (exactly one of them); headers: sent with every request; operations: the Ops it has (one it has not got is refused
    before a request); test_mode: `--test` is refused before anything is bought where it is False; early_cancel_s:
    how long after a purchase the platform may refuse a cancel (None: it never does); currency: its prices', where
    known; refusals and states: its tables (a strict protocol's; None for a tolerant reader); catalogs: built-in
    lists for a site that has none ({"service": (code -> name, the form of a code)})."""
    __slots__ = ()

    def key_query(self, key):
        return {self.key_param: key} if self.key_param else {}

    def key_headers(self, key):
        """The headers of one request: the fixed ones, and the key's when it travels in a header."""
        if not self.key_header:
            return dict(self.headers)
        header, value = self.key_header
        return {**self.headers, header: value.format(key=key)}

    def has(self, op):
        return op in self.operations


def declare(module_name, *, operations, test_mode, key_param=None, key_header=None, headers=(), early_cancel_s=None,
            currency=None, refusals=None, states=None, catalogs=None):
    """A module's Protocol: its name and prefix from its REGISTRY line, the rest as the module declares it."""
    entry = next(entry for entry in REGISTRY if module_name.endswith("." + entry.module))
    if (key_param is None) == (key_header is None):
        raise ValueError(f"{entry.name}: the key travels either as a query parameter or in a header")
    return Protocol(entry.name, entry.prefix, entry.module, key_param, key_header, dict(headers),
                    frozenset(operations), test_mode, early_cancel_s, currency, refusals, states, catalogs or {})
