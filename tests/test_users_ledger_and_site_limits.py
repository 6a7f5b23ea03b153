"""The user's ledger and limits stay where the user put them (issue 19 §3): SMSONLINE_STATE_DIR in the skill's .env
is read in the user's terms (the account's home, the skill's folder), never the run's HOME, environment or current
folder; neither the agent's state dir, HOME nor env file can hide what the user's ledger spent or drop the user's
limits; a site's own limits come from the user's file, only lower the general ones, and hold at that site whatever
its protocol and however its address is written (a per-host budget at every base of that host); where any limit is
set, a site none covers buys nothing; read-only commands never create a ledger."""
import os

import pytest
import responses

import fakes
from support import KEY, PRIMARY, config, ledger, output, sms

SA_LOCAL = "http://127.1:80/stubs/handler_api.php"
SA_LOOPBACK = "http://127.0.0.1:9/stubs/handler_api.php"
SA_NAMED = "https://sa.example.test/stubs/handler_api.php"
BUY = ("buy", "--country", "1", "--service", "101", "--operator", "13")
activate = responses.activate(assert_all_requests_are_fired=True)


@pytest.fixture
def users_env_file(tmp_path, monkeypatch):
    """The skill's own .env, the user's: here a file of the test's."""
    path = tmp_path / "skill.env"
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    return path


@pytest.fixture
def users_env(users_env_file, tmp_path, monkeypatch, env):
    """The skill's own .env (the user's file), and an account whose home the system's user database gives."""
    account = tmp_path / "account"
    account.mkdir()
    monkeypatch.setattr(config, "account_home", lambda: str(account))
    env["SMSONLINE_ENV_FILE"] = str(users_env_file)
    del env["SMSONLINE_STATE_DIR"]

    def write(text):
        users_env_file.write_text(text)
        return account
    return write


def settings_with(tmp_path, monkeypatch, users_file, environ=None, bases=(SA_NAMED,)):
    """The settings a run would load with this user's file, this environment and these base URLs."""
    path = tmp_path / "skill.env"
    path.write_text(users_file)
    monkeypatch.setattr(config, "USER_ENV_FILE", str(path))
    args = type("Args", (), {"base_url": list(bases), "state_dir": None, "proxy": None, "connect_timeout": None,
                             "read_timeout": None, "trace": None, "test": False, "verbose": False, "quiet": False,
                             "sandbox": False, "refresh": False, "max_price": None})()
    return config.load_config(args, {"SMSONLINE_API_KEY": KEY, "SMSONLINE_ENV_FILE": "/dev/null", **(environ or {})})


def spent_in(state_dir, price):
    store = ledger.Store(str(state_dir))
    store.update(store.adopt("9", PRIMARY), state="finished", price=price)


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


def test_an_environment_state_dir_cannot_hide_what_the_users_ledger_spent(cli, env, tmp_path, users_env_file):
    users = tmp_path / "users-ledger"
    users_env_file.write_text(f"SMSONLINE_DAILY_BUDGET=0.5\nSMSONLINE_STATE_DIR={users}\n")
    spent_in(users, 0.6)
    env["SMSONLINE_STATE_DIR"] = str(tmp_path / "agents-empty-ledger")
    with responses.RequestsMock():  # nothing may be sent
        run = cli(*BUY)
    assert (run.code, run.kind, run.line["user_state_dir"]) == (2, "usage", str(users))
    del env["SMSONLINE_STATE_DIR"]
    with responses.RequestsMock():
        assert cli(*BUY).kind == "budget"  # in the user's own ledger, the budget is used up


def test_a_home_of_the_agents_cannot_move_the_users_default_ledger(cli, env, tmp_path, users_env_file, monkeypatch):
    users_env_file.write_text("SMSONLINE_DAILY_BUDGET=0.5\n")
    monkeypatch.setattr(config, "account_home", lambda: str(tmp_path / "account"))
    spent_in(tmp_path / "account" / ".smsonline", 0.6)
    monkeypatch.setenv("HOME", str(tmp_path / "agents-home"))
    del env["SMSONLINE_STATE_DIR"]
    with responses.RequestsMock():
        run = cli(*BUY)
    assert (run.code, run.kind) == (3, "budget")  # counted in the account's own ledger, not in $HOME's


@activate
def test_an_env_file_of_the_agents_cannot_drop_the_users_limits(cli, env, users_env_file):
    users_env_file.write_text(f"SMSONLINE_MAX_PRICE=0.4\nSMSONLINE_STATE_DIR={env['SMSONLINE_STATE_DIR']}\n")
    env["SMSONLINE_ENV_FILE"] = "/dev/null"
    fakes.products(body={"status": 1, "data": [{"operatorId": 13, "name": "Telecom", "price": 0.9, "count": 9}]})
    run = cli("buy", "--country", "1", "--service", "101")
    assert (run.code, run.kind) == (3, "budget") and not fakes.calls_to("buy-service")


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


@pytest.mark.parametrize("environment, users_file, allowed", [
    ({"SMSONLINE_DAILY_BUDGET_127_0_0_1": "1000"}, "SMSONLINE_DAILY_BUDGET=1\nSMSONLINE_MAX_PRICE=0.5\n", False),
    ({"SMSONLINE_MAX_PRICE_127_0_0_1": "5"}, "SMSONLINE_MAX_PRICE=0.5\n", False),
    ({}, "SMSONLINE_MAX_PRICE=0.5\nSMSONLINE_MAX_PRICE_127_0_0_1=30\n", True),
    ({"SMSONLINE_MAX_PRICE_127_0_0_1": "50"}, "SMSONLINE_MAX_PRICE=0.5\nSMSONLINE_MAX_PRICE_127_0_0_1=30\n", True),
])
def test_a_sites_own_limits_come_from_the_users_file_and_only_lower(tmp_path, monkeypatch, environment, users_file,
                                                                    allowed):
    settings = settings_with(tmp_path, monkeypatch, users_file, environment, bases=(SA_LOOPBACK,))
    if not allowed:
        with pytest.raises(output.Failure) as refused:
            config.limits_for(settings, SA_LOOPBACK)
        assert refused.value.kind == "budget"
    else:
        assert config.limits_for(settings, SA_LOOPBACK).max_price == 30.0


def test_a_sites_own_limit_from_the_environment_never_raises_the_general_one_on_an_smsonline_site(tmp_path,
                                                                                                 monkeypatch):
    settings = settings_with(tmp_path, monkeypatch, "SMSONLINE_MAX_PRICE=3\n", {"SMSONLINE_MAX_PRICE_127_0_0_1": "20"},
                             bases=("http://127.0.0.1:8/api/v1",))
    limits = config.limits_for(settings, "http://127.0.0.1:8/api/v1")
    assert limits.max_price == 3.0 and limits.budgets == []  # the stricter holds; no budget is set


def test_a_per_host_budget_counts_every_base_at_that_host(tmp_path, monkeypatch):
    other_port = "https://sa.example.test:8443/stubs/handler_api.php"
    settings = settings_with(tmp_path, monkeypatch, "SMSONLINE_DAILY_BUDGET_SA_EXAMPLE_TEST=20\n")
    [budget] = config.limits_for(settings, SA_NAMED).budgets
    assert budget.amount == 20.0 and budget.counts(other_port) and not budget.counts(PRIMARY)


@pytest.mark.parametrize("argv", [("orders",), ("orders", "--all"), ("doctor",), ("--help",), ("orders", "--help")])
def test_read_only_commands_never_create_a_ledger(env, closed_port, capsys, argv):
    env["SMSONLINE_BASE_URLS"] = f"http://127.0.0.1:{closed_port}/api/v1"
    code = sms.main(list(argv), environ=env)
    assert code in (0, 4) and capsys.readouterr().out  # doctor: the site is unreachable
    assert not os.path.exists(env["SMSONLINE_STATE_DIR"])
