"""What the strictly read protocols (sms_activate, fivesim) share: the answer's text, the HTTP status rules, a
refusal that proves nothing was bought, an unreadable answer, and which SMS are new for `wait --next`.

An answer is text in a charset read without loss (misread text can hide what it says and show digits that are no
code), and a 5xx is the site failing: both unreadable. A refusal is an entry of the protocol's table, read with any
status below 500 (sites send their refusals with 200 and with 4xx alike); "refused" says the answer proves nothing
was bought, so a purchase may go to the next site. A 401/403 that no refusal explains is the key; a body that starts
with `<` is a page, not the API. Anything else outside the protocol's tables is unreadable (`api`): never a code,
never an acknowledgement, and after a purchase an order may exist.
"""
from __future__ import annotations

import collections
import re

from .coderule import code_of, is_contradicted, not_codes_of, reads_as_an_sms
from .decoding import decode
from .output import Failure, excerpt
from .shapes import identity

# refused: the answer proves nothing was bought (a BUY may be retried elsewhere); False: an order MAY exist
Refusal = collections.namedtuple("Refusal", "kind refused message")


class Unreadable(Exception):
    """An answer outside the protocol's tables: its read() turns it into the `api` failure that names the request."""

    def __init__(self, text, status=None, why=None):
        super().__init__(text)
        self.text, self.status, self.why = text, status, why


def answer_text(reply):
    """The answer's text, stripped; Unreadable when no charset reads it without loss, or for a 5xx."""
    text, _, lossy = decode(reply)
    text = text.strip()
    if lossy:
        raise Unreadable(text)
    if reply.status >= 500:
        raise Unreadable(text or reply.reason, reply.status)
    return text


def raise_for_http(reply, text):
    """After the refusals: a 401/403 is the key; a page (some protocols name their plain answers text/html too, so
    only the body tells) is something else answering."""
    if reply.status in (401, 403):
        raise Failure("auth", f"the platform refused the API key (HTTP {reply.status}): {excerpt(text)}",
                      reason="refused")
    if text.startswith("<"):
        raise Failure("api", f"an HTML page answered instead of the API (HTTP {reply.status}: a block page, a captive "
                             f"portal or the site's error page): {excerpt(re.sub(r'<[^>]*>', ' ', text[:4000]))!r}",
                      reason="html")


def unreadable(request, unread):
    """The failure of an answer outside the tables, naming the request it answered (an action, an operation)."""
    said, why = f"HTTP {unread.status}: " if unread.status else "", f": {unread.why}" if unread.why else ""
    return Failure("api", f"the platform's answer to {request} could not be read{why} "
                          f"({said}{excerpt(unread.text)!r})", reason="unreadable")


# why a price list of another shape is unreadable: never "no numbers"
NOT_A_PRICE_LIST = "the price list could not be read: its shape is none documented, so it says nothing of the stock"


def plain_id(value, pattern):
    """An id or a number as JSON gives it: text or a whole number of the pattern, never null, a boolean or a float
    (whose str() could pass the pattern: "None", "True"); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not re.fullmatch(pattern, str(value)):
        return None
    return str(value)


def refused(refusal, token, detail=None, status=None, **data):
    """The Failure of one refusal of the protocol's table; a detail (a payload, an error's details) stays in the
    message, in its {} where the message has one, and an HTTP status other than 200 is named."""
    if "{}" in refusal.message:
        said = refusal.message.format(excerpt(detail or "(not given)"))
    else:
        said = refusal.message + (f" ({excerpt(detail)})" if detail else "")
    http = f" (HTTP {status})" if status and status != 200 else ""
    return Failure(refusal.kind, f"the platform answered {token}{http}: {said}.",
                   reason="refused" if refusal.refused else None, **data)


def taken_codes(seen):
    """The codes `wait --next` has used (`seen` holds them as "code:<c>", beside the SMS seen)."""
    return {item[5:] for item in seen if item.startswith("code:")}


def new_code(messages, order, code_regex, seen):
    """(code, its SMS's text) of the newest SMS not seen before (`seen`: a multiset of identities) whose code was
    not taken before; (None, None) when none has one, or when an SMS newer than it has a code field its own text
    speaks against (that SMS is the agent's to read: an older code never stands in for it)."""
    taken, not_codes = taken_codes(seen), not_codes_of(order)
    for message in fresh(messages, seen):
        code = code_of(message, not_codes, code_regex)
        if is_contradicted(message, not_codes, code):
            return None, None
        if code and code not in taken:
            return code, message.text
    return None, None


def texts_without_code(messages, order, code_regex, seen):
    """The texts of the SMS not seen before in which the rule finds no code and that read as an SMS, newest first:
    what reaches the agent as `sms_without_code`."""
    not_codes = not_codes_of(order)
    return tuple(message.text for message in fresh(messages, seen)
                 if not code_of(message, not_codes, code_regex) and reads_as_an_sms(message.text))


def fresh(messages, seen):
    """The messages (newest first) not accounted for by `seen`, a multiset of identities: the same text sent again
    is a new SMS once the first is accounted for."""
    already = collections.Counter(seen)
    for message in messages:
        if already[identity(message)]:
            already[identity(message)] -= 1
            continue
        yield message
