"""The sandbox's market: operators with their own delivery share and delay (--delivery, --operator-delay), the dice
repeatable with --seed."""
import pytest

import smsonline_sandbox as sandbox_module
from smsonline_sandbox_market import Platform


def landed(platform, operator, purchases):
    """Which of so many purchases of one operator ever get their SMS (sms_at set at purchase)."""
    return [platform.buy(1, 101, operator)["sms_at"] is not None for _ in range(purchases)]


def test_each_operator_delivers_its_share_and_the_seed_repeats_the_dice():
    def market(seed):
        return Platform(delivery={13: 0.2, 11: 0.9}, sms_delay=1, seed=seed, balance=1000, now=lambda: 1000.0)
    cheap, dear = landed(market(7), 13, 200), landed(market(7), 11, 200)
    assert 0.1 < sum(cheap) / 200 < 0.3 and 0.8 < sum(dear) / 200 < 0.97
    assert landed(market(7), 13, 200) == cheap and landed(market(8), 13, 200) != cheap


def test_an_operator_without_a_share_always_delivers_after_its_own_delay():
    platform = Platform(delivery={13: 0.0}, operator_delay={11: 4.0}, sms_delay=1, seed=1, now=lambda: 1000.0)
    assert platform.buy(1, 101, 11)["sms_at"] == 1004.0
    assert platform.buy(1, 101, 13)["sms_at"] is None
    assert Platform(sms_delay=1, now=lambda: 1000.0).buy(1, 101, 13)["sms_at"] == 1001.0


@pytest.mark.parametrize("text, values", [("13=0.2,11=0.9", {13: 0.2, 11: 0.9}),
                                          ("telecom=0.2, mobile=1", {13: 0.2, 11: 1.0}), ("", {})])
def test_the_flags_take_operator_ids_or_sms_activate_names(text, values):
    options = sandbox_module.build_parser().parse_args(["--delivery", text, "--operator-delay", text])
    assert options.delivery == values == options.operator_delay


@pytest.mark.parametrize("text", ["99=0.5", "13", "13=x", "13=-1"])
def test_a_wrong_market_is_refused_by_the_parser(text, capsys):
    with pytest.raises(SystemExit):
        sandbox_module.build_parser().parse_args(["--delivery", text])
    assert "OPERATOR=NUMBER" in capsys.readouterr().err


def test_the_market_flags_reach_the_platform():
    sandbox = sandbox_module.build(sandbox_module.build_parser().parse_args(
        ["--delivery", "13=0", "--operator-delay", "11=2", "--seed", "3"]))
    try:
        assert (sandbox.platform.delivery, sandbox.platform.operator_delay) == ({13: 0.0}, {11: 2.0})
    finally:
        sandbox.server_close()
