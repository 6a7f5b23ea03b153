"""The platform layer: what the flows ask of a platform (operations), what they send (actions), and which protocol a
site speaks. The flows know only these; each protocol module maps them to requests and reads the answers back into
the common shapes: a list of items, a purchase, an SmsState (shapes.py), an acknowledgement, a balance, or a
designed Failure. Every protocol decodes bytes with decoding.py and asks coderule.py what in an SMS is a code.

A protocol module (smsonline_v1, sms_activate) provides:
    NAME            the protocol's name, as recorded in the ledger and written in a `sms-activate+https://…` prefix
    KEY_PARAM       the query parameter that carries the API key
    TEST_MODE       whether it has a test mode (`--test` is refused where it has none, before anything is bought)
    OPERATIONS      the operations it has (an action it has not got is refused before a request)
    request(op, params) -> (path, query)    the path below the base URL ("" for none) and the query, key excluded
    read(op, reply, order=None, code_regex=None, seen=())    a Reply -> the common shape for op, or a Failure
"""
from __future__ import annotations

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


SMS_ACTIVATE, SMSONLINE_V1 = "sms-activate", "smsonline-v1"
FORCING_PREFIXES = {"sms-activate+": SMS_ACTIVATE, "smsonline+": SMSONLINE_V1}


def protocol_of(url):
    """(protocol name, base URL without a forcing prefix): a `sms-activate+` or `smsonline+` prefix forces one; else
    a path ending in handler_api.php speaks sms-activate, and anything else (…/api/v1) SMSOnline v1."""
    for prefix, name in FORCING_PREFIXES.items():
        if url.lower().startswith(prefix):
            return name, url[len(prefix):]
    path = re.sub(r"[?#].*$", "", url).rstrip("/")
    return (SMS_ACTIVATE if path.lower().endswith("handler_api.php") else SMSONLINE_V1), url


def module_for(name):
    """The protocol module for a protocol name (imported on first use: start-up time)."""
    if name == SMS_ACTIVATE:
        from . import sms_activate as module
    else:
        from . import smsonline_v1 as module
    return module
