"""Bytes to text, shared by every protocol: one HTTP answer (Reply), its charset (BOMs, JSON's UTF-16/32 pattern,
UTF-8, the declared charset, GB18030; text a server encoded twice read back), whether it is an HTML page, and JSON
with its nesting bounded. What the text means is each protocol's reader's job."""
from __future__ import annotations

import codecs
import collections
import json
import re

from .output import Failure, excerpt

Reply = collections.namedtuple("Reply", "status reason content_type body")  # one HTTP answer, body in bytes
# text as decoded, the codec that read it, and lossy: no charset read every byte (the text holds U+FFFD)
Decoded = collections.namedtuple("Decoded", "text charset lossy")

MAX_DEPTH = 64
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32's first: FF FE 00 00 starts FF FE
ANY_BYTES = ("iso8859-1", "cp1252")


def decode(reply):
    """The answer's text in the charset it is in: a BOM, else UTF-8 when every byte reads as UTF-8 (mislabelled
    UTF-8 is common; GBK or Latin-1 text almost never is valid UTF-8), else the declared charset, then GB18030; lossy
    (and so never a source of a code) when none reads every byte, or when a charset that reads any bytes (Latin-1)
    shows runs of accented letters: the mojibake of a multi-byte text, whose meaning is lost."""
    for charset in charsets_to_try(reply):
        try:
            text = reply.body.decode(charset)
        except (ValueError, LookupError):  # UnicodeError is a ValueError; a codec that is no text encoding
            continue
        if charset in ANY_BYTES and re.search(r"[\x80-\xff]{2}", text):
            break
        return Decoded(undo_double_encoding(text) if charset == "utf-8" else text, charset, False)
    return Decoded(reply.body.decode("utf-8", "replace"), "utf-8", True)


def undo_double_encoding(text):
    """UTF-8 that a server encoded twice ("æœªæ”¶åˆ°" for "未收到") read back as the text it was."""
    if not re.search(r"[\xc2-\xf4][\x80-\xbf\u0152-\u2122]", text):
        return text
    for single_byte in ("cp1252", "latin-1"):
        try:
            return text.encode(single_byte).decode("utf-8")
        except UnicodeError:
            continue
    return text


def charsets_to_try(reply):
    """A BOM (or JSON's UTF-16/32 NUL pattern) is the answer's charset; else UTF-8, the declared one and GB18030."""
    body = reply.body
    for bom, charset in BOMS:
        if body.startswith(bom):
            return [charset]
    sniffed = json.detect_encoding(body[:4])
    declared = declared_charset(reply.content_type)
    return ([sniffed] if sniffed != "utf-8" else []) + ["utf-8"] + ([declared] if declared else []) + ["gb18030"]


def declared_charset(content_type):
    """The Content-Type's charset as a Python codec name (GBK and GB2312 read as GB18030, their superset), or None."""
    match = re.search(r"(?i)\bcharset\s*=\s*[\"']?([\w.:-]+)", content_type or "")
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1)).name
    except LookupError:
        return None
    return "gb18030" if name in ("gbk", "gb2312") else name


def looks_like_html(reply, text):
    head = text.lstrip()[:200].lower()
    return "html" in (reply.content_type or "").lower() or head.startswith(("<!doctype", "<html", "<head", "<body"))


def depth_of(value):
    """How deeply lists and objects nest (iteratively: a hostile answer must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                return depth
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def parse_json(text):
    """The decoded JSON, or None when the text is not JSON; nesting beyond MAX_DEPTH is an unreadable answer."""
    try:
        decoded = json.loads(text, parse_constant=str)  # NaN and Infinity stay words: no number, no code
        too_deep = depth_of(decoded) > MAX_DEPTH
    except ValueError:
        return None
    except RecursionError:
        too_deep = True
    if too_deep:
        raise Failure("api", f"the platform's answer is nested too deeply to read: {excerpt(text)!r}",
                      reason="unreadable")
    return without_lone_surrogates(decoded) if re.search(r"(?i)\\ud[89a-f]", text) else decoded


def without_lone_surrogates(value):
    """Text cut in the middle of a UTF-16 pair ("\\ud83d") cannot be printed or stored: pairs are joined, halves
    become U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(k): without_lone_surrogates(v) for k, v in value.items()}
    return value
