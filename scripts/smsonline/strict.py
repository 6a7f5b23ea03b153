"""What the strictly read protocols (sms_activate, fivesim) share: the answer's text, the HTTP status rules, a
refusal that proves nothing was bought, an unreadable answer, and which SMS are new for `wait --next`.

An answer is text in a charset read without loss (misread text can hide what it says and show digits that are no
code); 401/403 is the key; 5xx is the site failing (unreadable); a body that starts with `<` is a page, not the API.
A refusal is an entry of the protocol's table, read from any status below 500; "refused" says the answer proves
nothing was bought, so a purchase may go to the next site. Anything else is unreadable (`api`): never a code, never
an acknowledgement, and after a purchase an order may exist.
"""
from __future__ import annotations

import collections
import re

from .coderule import code_of, not_codes_of
from .decoding import decode
from .output import Failure, excerpt
from .shapes import identity

# refused: the answer proves nothing was bought (a BUY may be retried elsewhere); False: an order MAY exist
Refusal = collections.namedtuple("Refusal", "kind refused message")


def text_of(reply):
    """The answer's text, stripped; an answer no charset reads without loss is unreadable."""
    text, _, lossy = decode(reply)
    text = text.strip()
    if lossy:
        raise unreadable(text)
    return text


def raise_for_http(reply, text):
    """401/403: the key; 5xx: the site failed; a page (some protocols name their plain answers text/html too, so
    only the body tells): something else answered."""
    if reply.status in (401, 403):
        raise Failure("auth", f"the platform refused the API key (HTTP {reply.status}): {excerpt(text)}",
                      reason="refused")
    if reply.status >= 500:
        raise unreadable(text or reply.reason, reply.status)
    if text.startswith("<"):
        raise Failure("api", f"an HTML page answered instead of the API (HTTP {reply.status}: a block page, a captive "
                             f"portal or the site's error page): {excerpt(re.sub(r'<[^>]*>', ' ', text[:4000]))!r}",
                      reason="html")


def unreadable(text, status=None):
    said = f"HTTP {status}: " if status else ""
    return Failure("api", f"the platform's answer could not be read ({said}{excerpt(text)!r})", reason="unreadable")


def refused(refusals, token, detail=None):
    """The Failure for a refusal of the protocol's table; a detail (a payload, an error's details) stays in the
    message, in its {} where the message has one."""
    refusal = refusals[token]
    if "{}" in refusal.message:
        said = refusal.message.format(excerpt(detail or "(not given)"))
    else:
        said = refusal.message + (f" ({excerpt(detail)})" if detail else "")
    return Failure(refusal.kind, f"the platform answered {token}: {said}.", reason="refused" if refusal.refused else None)


def new_code(messages, order, code_regex, seen):
    """(code, its SMS's text) of the newest SMS not seen before (`seen`: what `wait --next` has used, a multiset of
    identities and "code:<c>") whose code was not taken before; (None, None) when none has one."""
    already, taken = collections.Counter(seen), {item[5:] for item in seen if item.startswith("code:")}
    not_codes = not_codes_of(order)
    for message in messages:  # newest first
        if already[identity(message)]:
            already[identity(message)] -= 1
            continue
        code = code_of(message, not_codes, code_regex)
        if code and code not in taken:
            return code, message.text
    return None, None
