"""The user's ledger and limits stay where the user put them (issue 19 §3): SMSONLINE_STATE_DIR in the skill's .env
is read in the user's terms (the account's home, the skill's folder), never the run's HOME, environment or current
folder; a site's own limits hold at that site whatever its protocol and however its address is written; where any
limit is set, a site none covers buys nothing; read-only commands never create a ledger."""
import os

import pytest
import responses

import fakes
from support import PRIMARY, config, ledger, sms

SA_LOCAL = "http://127.1:80/stubs/handler_api.php"
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")


@pytest.fixture
def users_env(tmp_path, monkeypatch, env):
    """The skill's own .env (the user's file), and an account whose home the system's user database gives."""
    account = tmp_path / "account"
    account.mkdir()
    monkeypatch.setattr(config, "account_home", lambda: str(account))
    path = tmp_path / "skill.env"
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    env["SMSONLINE_ENV_FILE"] = str(path)
    del env["SMSONLINE_STATE_DIR"]

    def write(text):
        path.write_text(text)
        return account
    return write


@pytest.mark.parametrize("written, where", [("~/sms-ledger", "account"), ("${HOME}/sms-ledger", "account"),
                                            ("$HOME/sms-ledger", "account"), ("sms-ledger", "skill")])
def test_the_state_dir_in_the_users_file_is_read_in_the_users_terms(users_env, tmp_path, monkeypatch, written,
                                                                     where):
    account = users_env(f"SMSONLINE_DAILY_BUDGET=0.5\nSMSONLINE_STATE_DIR={written}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("HOME", str(elsewhere))  # the run's HOME, which python-dotenv and expanduser would use
    monkeypatch.chdir(elsewhere)
    settings = config.read_settings({"SMSONLINE_ENV_FILE": config.USER_ENV_FILE})
    expected = os.path.join(str(account) if where == "account" else config.SKILL_DIR, "sms-ledger")
    assert config.users_state_dir(settings) == expected


@responses.activate
def test_two_runs_with_other_homes_and_folders_share_the_users_budget(cli, env, users_env, tmp_path, monkeypatch):
    users_env("SMSONLINE_DAILY_BUDGET=0.5\nSMSONLINE_STATE_DIR=~/sms-ledger\n")
    fakes.products()
    fakes.buy()
    for run_home in ("a", "b"):
        (tmp_path / run_home).mkdir()
        monkeypatch.setenv("HOME", str(tmp_path / run_home))
        monkeypatch.chdir(tmp_path / run_home)
        run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and len(fakes.calls_to("buy-service")) == 1


@pytest.mark.parametrize("base", ["http://127.1/api/v1", "http://[::ffff:127.0.0.1]:80/api/v1",
                                  "http://2130706433/api/v1", "HTTP://127.0.0.1./api/v1", "http://0x7f.0.0.1/api/v1",
                                  "https://127.0.0.1:443/stubs/handler_api.php"])
def test_one_site_however_its_address_is_written(base):
    assert config.site_of(base) == "127.0.0.1" and config.site_token(base) == "127_0_0_1"


def test_names_and_other_addresses_are_other_sites():
    assert [config.site_of(b) for b in ("https://SMSonline.IO./api/v1", "http://localhost/api/v1",
                                        "http://[2001:DB8::1]/api/v1", "http://127.0.0.2/api/v1")] == \
        ["smsonline.io", "localhost", "2001:db8::1", "127.0.0.2"]


@responses.activate
def test_a_limit_for_a_name_does_not_cover_its_ip_so_that_site_buys_nothing(cli, env, users_env):
    users_env("SMSONLINE_MAX_PRICE_LOCALHOST=5\nSMSONLINE_DAILY_BUDGET_LOCALHOST=20\n")
    env["SMSONLINE_BASE_URLS"] = SA_LOCAL
    run = cli("buy", "--country", "0", "--service", "tg")
    assert (run.code, run.kind) == (3, "budget") and not responses.calls
    assert "SMSONLINE_MAX_PRICE_127_0_0_1" in run.line["error"]["message"]


@responses.activate
def test_a_sites_own_limit_holds_at_an_smsonline_site_with_the_general_one(cli, env, users_env):
    users_env("SMSONLINE_MAX_PRICE=1\nSMSONLINE_MAX_PRICE_PREMIUM_EXAMPLE_TEST=0.1\n")
    env["SMSONLINE_BASE_URLS"] = PRIMARY
    fakes.products()  # the cheapest in stock costs 0.3
    run = cli(*BUY)
    assert (run.code, run.kind, run.line["max_price"]) == (3, "budget", 0.1) and not fakes.calls_to("buy-service")


@responses.activate
def test_where_the_user_set_a_limit_an_smsonline_site_none_covers_buys_nothing(cli, env, users_env):
    users_env("SMSONLINE_DAILY_BUDGET_SA_EXAMPLE_TEST=100\n")  # a limit for another site only
    env["SMSONLINE_BASE_URLS"] = PRIMARY
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and not responses.calls
    assert "SMSONLINE_MAX_PRICE_PREMIUM_EXAMPLE_TEST" in run.line["error"]["message"]


@responses.activate
def test_a_sites_own_budget_counts_its_orders_whatever_the_protocol(cli, env, users_env, tmp_path):
    users_env("SMSONLINE_DAILY_BUDGET=5\nSMSONLINE_DAILY_BUDGET_PREMIUM_EXAMPLE_TEST=0.5\n"
              f"SMSONLINE_STATE_DIR={tmp_path / 'ledger'}\n")
    store = ledger.Store(tmp_path / "ledger")
    store.update(store.adopt("9", PRIMARY), state="finished", price=0.3)
    env["SMSONLINE_BASE_URLS"] = PRIMARY
    fakes.products()
    run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget") and "SMSONLINE_DAILY_BUDGET_PREMIUM_EXAMPLE_TEST" in \
        run.line["error"]["message"]


@pytest.mark.parametrize("argv", [("orders",), ("orders", "--all"), ("doctor",), ("--help",), ("orders", "--help")])
def test_read_only_commands_never_create_a_ledger(env, closed_port, capsys, argv):
    env["SMSONLINE_BASE_URLS"] = f"http://127.0.0.1:{closed_port}/api/v1"
    code = sms.main(list(argv), environ=env)
    assert code in (0, 4) and capsys.readouterr().out  # doctor: the site is unreachable
    assert not os.path.exists(env["SMSONLINE_STATE_DIR"])
