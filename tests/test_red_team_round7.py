"""What the red team reproduced in round 7: short proxy passwords in base64 and in traces, the key in structured
fields, a key-shaped text taken for a code."""
import json

from support import KEY, coderule, config, output
from smsonline import cli


def test_a_proxy_echoing_its_basic_authorization_never_shows_the_password():
    output.REDACT.use(config.proxy_secrets("http://usr:Sekr3tPw@127.0.0.1:1"))
    try:
        assert "dXNyOlNla3IzdFB3" not in output.REDACT("Proxy-Authorization: Basic dXNyOlNla3IzdFB3")
    finally:
        output.REDACT.use([KEY])


def test_a_trace_records_the_proxy_without_its_credentials():
    argv = ["--proxy", "http://usr:pw123@127.0.0.1:9/", "products", "--proxy=usr:pw123@127.0.0.1:9", "--trace", "t"]
    recorded = " ".join(cli.traced_argv(argv))
    assert "pw123" not in recorded and recorded.count("***@127.0.0.1:9") == 2 and "--trace" not in recorded


def test_the_key_is_masked_even_in_a_structured_field():
    output.REDACT.use([KEY])
    line = json.loads(output.json_line("buy", True, {"order_id": KEY, "number": f"+86{KEY}", "price": 0.3}))
    assert (line["order_id"], line["number"], line["price"]) == ("***", "***", 0.3)


def test_digits_glued_to_a_word_by_a_dash_are_no_code():
    assert coderule.extract_code("code test-key-redteam-0007") is None
    assert coderule.extract_code("Your code is 0007") == "0007"


def test_the_key_never_reaches_the_ledger_even_as_an_order_id(store):
    from support import PRIMARY
    output.REDACT.use([KEY])
    order = store.record(store.adopt("9", PRIMARY), number=f"+86{KEY}", note=f"echo {KEY}")
    row = store.order("9")
    assert KEY not in str(dict(row)) and row["number"] == "***" and order["order_id"] == "9"


def test_an_empty_text_stays_empty_in_the_ledger(store):
    from support import PRIMARY
    store.record(store.adopt("9", PRIMARY), sms=None, note=None)
    assert (store.order("9")["sms"], store.order("9")["note"]) == (None, None)
