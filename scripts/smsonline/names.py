"""Names: countries and services given as ids, names or aliases; the 24 h list cache; phone numbers in every form."""
from __future__ import annotations

import functools
import re

from .output import Failure

CATALOG_TTL_S = 24 * 3600
# (ISO 3166 region, what people type, what the platform may call it)
COUNTRIES = (
    ("CN", ("中国", "cn", "chn", "china", "大陆", "中国大陆"), ("China",)),
    ("US", ("美国", "us", "usa", "america", "united states"), ("United States", "USA", "United States of America")),
    ("GB", ("英国", "uk", "gb", "gbr", "britain", "great britain", "england"),
     ("United Kingdom", "UK", "Great Britain", "England")),
    ("HK", ("香港", "hk", "中国香港"), ("Hong Kong",)), ("TW", ("台湾", "tw"), ("Taiwan",)),
    ("JP", ("日本", "jp"), ("Japan",)), ("KR", ("韩国", "kr", "korea"), ("South Korea", "Korea")),
    ("RU", ("俄罗斯", "ru"), ("Russia",)), ("IN", ("印度", "in"), ("India",)),
    ("ID", ("印尼", "印度尼西亚", "id"), ("Indonesia",)), ("VN", ("越南", "vn"), ("Vietnam",)),
    ("TH", ("泰国", "th"), ("Thailand",)), ("PH", ("菲律宾", "ph"), ("Philippines",)),
    ("MY", ("马来西亚", "my"), ("Malaysia",)), ("SG", ("新加坡", "sg"), ("Singapore",)),
    ("CA", ("加拿大", "ca"), ("Canada",)), ("DE", ("德国", "de"), ("Germany",)), ("FR", ("法国", "fr"), ("France",)),
    ("BR", ("巴西", "br"), ("Brazil",)), ("AU", ("澳大利亚", "澳洲", "au"), ("Australia",)),
)
SERVICES = (
    (("微信", "wx", "weixin"), ("WeChat",)), (("b站", "哔哩哔哩", "哔哩"), ("bilibili",)), (("soul", "soul app"), ("Soul",)),
    (("抖音", "douyin"), ("Douyin", "TikTok")), (("电报", "tg"), ("Telegram",)), (("脸书", "fb"), ("Facebook",)),
    (("谷歌", "gmail"), ("Google",)), (("推特", "x"), ("Twitter", "X")), (("小红书", "xhs", "red"), ("Xiaohongshu", "RED")),
    (("淘宝",), ("Taobao",)), (("支付宝",), ("Alipay",)), (("京东", "jd"), ("JD", "Jingdong")), (("微博",), ("Weibo",)),
    (("钉钉",), ("DingTalk",)), (("美团",), ("Meituan",)), (("快手",), ("Kuaishou",)), (("ig", "ins"), ("Instagram",)),
    (("wa",), ("WhatsApp",)),
)
ALIASES = {"country": [(typed, names) for _, typed, names in COUNTRIES], "service": list(SERVICES)}
CATALOG_KINDS = {"country": "COUNTRIES", "service": "SERVICES"}  # platform.Op names (imported on first request)


def wanted_names(kind, text):
    key = text.strip().casefold()
    for spellings, names in ALIASES[kind]:
        if key in spellings:
            return [text.strip(), *names]
    return [text.strip()]


def matches(items, kind, text):
    """Items matching text, by the first tier that matches anything: exact, then prefix, then substring. A hidden
    item (a country the site lists with visible 0) is never offered by name: only its id buys it."""
    names = [name.casefold() for name in wanted_names(kind, text)]
    shown = [(item, names_of(item)) for item in items if not item.get("hidden")]
    for test in (str.__eq__, str.startswith, str.__contains__):
        hits = {item["id"]: item for item, own in shown for name in names if any(test(one, name) for one in own)}
        if hits:
            return list(hits.values())
    return []


def names_of(item):
    """An item's name, and each of the names a site lists in one ("Google,youtube,Gmail"), trimmed and casefolded."""
    name = item["name"].strip().casefold()
    return [name, *(part.strip() for part in name.split(",") if part.strip())] if "," in name else [name]


def first_site(ctx, base=None):
    """The site a list is asked of: the one given, else the first configured (lists and ids are per site)."""
    return base or ctx.config.base_urls[0]


def cached_catalog(ctx, kind, base=None):
    """A site's own list as this run fetched it, else from the 24 h cache (unless --refresh), else None; never
    another site's, whose ids may mean other countries."""
    base = first_site(ctx, base)
    fetched = vars(ctx).get("fetched_catalogs", {})
    if (kind, base) in fetched:
        return fetched[kind, base]
    cached = None if ctx.config.refresh else ctx.store.get_value(f"catalog:{kind}:{base}", CATALOG_TTL_S)
    return cached["items"] if cached else None


def catalog(ctx, kind, base=None):
    """A site's country or service list, from the cache when possible."""
    items = cached_catalog(ctx, kind, base)
    return fetched_catalog(ctx, kind, base) if items is None else items


def fetched_catalog(ctx, kind, base=None):
    """A site's list from the platform (one request), cached."""
    from .platform import Op  # the layers under it only when a request is made: a cached list starts faster

    base = first_site(ctx, base)
    items, _ = ctx.api.call(Op[CATALOG_KINDS[kind]], {}, bases=[base])
    ctx.store.put_value(f"catalog:{kind}:{base}", {"base_url": base, "items": items})
    vars(ctx).setdefault("fetched_catalogs", {})[kind, base] = items
    return items


def resolve(ctx, kind, text, base=None):
    """A country/service given as an id or a name -> its id; unknown or ambiguous is a usage error."""
    text = str(text).strip()
    if text.isascii() and text.isdigit():
        return text
    try:
        items = catalog(ctx, kind, base)
    except Failure as failure:
        if failure.reason != "no_list":
            raise
        return resolved_without_list(ctx, kind, text, base, failure)
    hits = [item for item in items if item["id"] == text] or matches(items, kind, text)  # a site's own id ("tg")
    if len(hits) == 1:
        return hits[0]["id"]
    if hits:
        listed = ", ".join(f"{h['name']} ({h['id']})" for h in hits[:10])
        raise Failure("usage", f"{kind} {text!r} is ambiguous: {listed}. Give the id or a longer name.",
                      candidates=hits[:10])
    import difflib  # only for names that match nothing

    close = difflib.get_close_matches(text.casefold(), [i["name"].casefold() for i in items], n=5, cutoff=0.5)
    listing = {"country": "countries", "service": "services"}[kind]
    hint = f" Did you mean: {', '.join(close)}?" if close else f" Run `{listing} --search TEXT` to list them."
    raise Failure("usage", f"unknown {kind} {text!r}.{hint}", candidates=close)


def resolved_without_list(ctx, kind, text, base, failure):
    """A site without the list (its protocol's action answered BAD_ACTION, nothing or HTTP 404): a name resolves in
    the protocol's own table of common codes (its declaration's catalogs), a code is taken as given; anything else is
    a usage error that says which codes the site takes."""
    from .platform import declared

    table, code_form = declared(first_site(ctx, base)).catalogs.get(kind, ({}, None))
    if not table:
        raise failure
    if text in table:
        return text
    hits = matches([{"id": code, "name": name} for code, name in table.items()], kind, text)
    if len(hits) == 1:
        return hits[0]["id"]
    if not hits and re.fullmatch(code_form, text):
        return text  # the site's own code, as given: the site says BAD_SERVICE if it has no such code
    common = ", ".join(f"{code} {name.split(',')[0]}" for code, name in list(table.items())[:12])
    raise Failure("usage", f"{kind} {text!r}: {failure.message} So give the site's own code for the {kind}: "
                  f"{'it may be one of ' + ', '.join(h['id'] for h in hits) if hits else 'common ones are ' + common}"
                  " (the full table is in reference/api.md, or see the site's API page).",
                  candidates=[{"id": h["id"], "name": h["name"]} for h in hits[:10]])


def list_products(ctx, country_id, service_id, base=None, cap=None):
    """A site's operators for a country and service, in stock and cheapest first (within cap seconds, if given)."""
    from .platform import Op

    asked = {"country": country_id, "service": service_id}  # also for the reader: a site may list others too
    items, _ = ctx.api.call(Op.PRODUCTS, asked, bases=[first_site(ctx, base)], cap=cap, order=asked)
    return sorted(items, key=lambda p: (p.get("stock") == 0, p.get("price") is None, p.get("price") or 0))


def load_countries_for(ctx, country_id, base):
    """The platform's country list, fetched (one request) only when the cache lacks this id, so that region_of can
    know the number's country. A failure costs only that (region_of then says None)."""
    if str(country_id) in {item["id"] for item in cached_catalog(ctx, "country", base) or []}:
        return
    try:
        fetched_catalog(ctx, "country", base)
    except Failure as failure:
        ctx.log.debug(f"the country list could not be had, so the number's country stays unknown: {failure.message}")


def region_of(ctx, country_id, base=None):
    """The ISO region of a country id, by its name in the platform's cached country list; None when the list does
    not have the id or its name is no known country (no request, and never a guess from the id or the digits)."""
    names = {item["id"]: item["name"] for item in cached_catalog(ctx, "country", base) or []}
    name = names.get(str(country_id))
    return regions_by_name().get(name_key(name)) if name else None


@functools.lru_cache(maxsize=1)
def regions_by_name():
    """Every known name of a country (regions.py, and the names people type above) -> its ISO region."""
    from .regions import REGION_NAMES

    table = {name_key(name): region for region, names in (entry.split(" ", 1) for entry in REGION_NAMES.split("|"))
             for name in names.split("/")}
    table.update({name_key(name): region for region, typed, spelled in COUNTRIES for name in (*typed, *spelled)})
    return table


def name_key(name):
    """A country name as compared: case, accents, punctuation, "&", "St" and a leading "the" set aside."""
    import unicodedata

    text = "".join(ch for ch in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(ch))
    words = ["saint" if word == "st" else word for word in re.sub(r"[\W_]+", " ",
                                                                   text.casefold().replace("&", " and ")).split()]
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


def number_fields(text, region=None):
    """The platform's number -> number (E.164), dial_code, national_number, region; the text and nulls when it
    cannot be read as a valid number of the order's country (never a guess). With a "+", as given; without, only
    with the order's country known: as international or national, in that country's calling code, preferring the
    reading in that very region."""
    import phonenumbers  # imported only where a number is formatted: start-up time otherwise

    digits = "".join(ch for ch in str(text) if ch.isdigit())
    explicit = str(text).strip().startswith("+")
    readings = [f"+{digits}"] if explicit else [f"+{digits}", digits] if region else []
    dial_code, valid = phonenumbers.country_code_for_region(region) if region else None, []
    for reading in readings:
        try:
            parsed = phonenumbers.parse(reading, None if reading.startswith("+") else region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed) and (explicit or parsed.country_code == dial_code):
            valid.append(parsed)
    valid.sort(key=lambda number: phonenumbers.region_code_for_number(number) != region)
    if not valid:
        return {"number": str(text), "dial_code": None, "national_number": None, "region": None}
    number = valid[0]
    return {"number": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
            "dial_code": str(number.country_code),
            "national_number": phonenumbers.national_significant_number(number),
            "region": phonenumbers.region_code_for_number(number)}
