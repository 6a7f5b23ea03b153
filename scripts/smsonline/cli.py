"""The command line: the parser (only the part a run needs), the run's setup, and main(), which prints the line."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import time

from .bootstrap import missing_optional_note, missing_requirements
from .commands import COMMANDS, KEYLESS_COMMANDS, OFFLINE_COMMANDS, Context
from .config import (MIN_INTERVAL_S, SANDBOX_KEY, bounded_seconds, load_config, positive_number, proxy_secrets,
                     require_a_key, shown_proxy)
from .ledger import Store
from .output import REDACT, STATUS_EXIT_CODES, Failure, Log, Tracer, UsageError, as_failure, emit_line, json_line
from .signals import SignalGuard


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


def help_formatter(prog):
    """argparse makes a formatter for every option it adds; with a width given, none asks the terminal (start-up)."""
    return argparse.RawDescriptionHelpFormatter(prog, width=int(os.environ.get("COLUMNS", "0") or 0) or 100)


SECONDS, INTERVAL = bounded_seconds(), bounded_seconds(low=MIN_INTERVAL_S)
VALUED_GLOBALS = ("--base-url", "--proxy", "--state-dir", "--connect-timeout", "--read-timeout", "--trace")
MAX_ATTEMPTS = 10  # receive --attempts: numbers bought in one run, at most


def whole_number(high):
    """An option's type: a whole number from 1 to high."""
    def parse(text):
        if not (text.isascii() and text.isdigit() and 1 <= int(text) <= high):
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {high}, got {text!r}")
        return int(text)
    return parse


def add_global_options(parser):
    """Global options, accepted before or after the command (SUPPRESS keeps one position from erasing the other)."""
    group = parser.add_argument_group("global options")
    s = argparse.SUPPRESS
    group.add_argument("--base-url", action="append", default=s, metavar="URL",
                       help="API base URL, repeatable, tried in order (env SMSONLINE_BASE_URLS)")
    group.add_argument("--proxy", default=s, metavar="URL",
                       help="HTTP(S) proxy (env SMSONLINE_PROXY; HTTPS_PROXY, HTTP_PROXY, NO_PROXY work too)")
    group.add_argument("--state-dir", default=s, metavar="DIR",
                       help="ledger and cache folder (env SMSONLINE_STATE_DIR, default ~/.smsonline); a purchase "
                            "is recorded only in the user's own ledger")
    group.add_argument("--connect-timeout", type=SECONDS, default=s, metavar="S",
                       help="seconds, at most 3600 (env SMSONLINE_CONNECT_TIMEOUT, default 5)")
    group.add_argument("--read-timeout", type=SECONDS, default=s, metavar="S",
                       help="seconds, at most 3600 (env SMSONLINE_READ_TIMEOUT, default 15)")
    group.add_argument("--trace", default=s, metavar="FILE", help="append every HTTP exchange to FILE as JSON lines "
                       "(env SMSONLINE_TRACE; redacted; see reference/response-shapes.md)")
    group.add_argument("--test", action="store_true", default=s, help="add test=1 to buy-service (no charge)")
    group.add_argument("--refresh", action="store_true", default=s, help="ignore the cached country/service lists")
    group.add_argument("--sandbox", action="store_true", default=s, help="run against a local simulated platform")
    group.add_argument("-v", "--verbose", action="store_true", default=s, help="diagnostics on stderr")
    group.add_argument("-q", "--quiet", action="store_true", default=s, help="no notices or progress on stderr")


GLOBAL_DEFAULTS = dict(base_url=None, proxy=None, state_dir=None, connect_timeout=None, read_timeout=None,
                       trace=None, test=False, refresh=False, sandbox=False, verbose=False, quiet=False)


def buy_options(parser):
    parser.add_argument("--country", required=True, help="id or name: 中国, CN, China, 美国, UK …")
    parser.add_argument("--service", required=True, help="id or name: Soul, bilibili, 微信, WhatsApp …")
    parser.add_argument("--operator", help="operator id (default: the best in stock by the delivery history, "
                        "SMSONLINE_PREFER)")
    parser.add_argument("--max-price", type=positive_number, help="refuse operators above this price "
                        "(env SMSONLINE_MAX_PRICE)")
    parser.add_argument("--replace", action="store_true", help="cancel an open order first instead of refusing")
    parser.add_argument("--hold", type=SECONDS, default=600,
                        help="seconds this order is reserved for a later `wait` (default 600, at most 3600)")


def wait_options(parser):
    parser.add_argument("--timeout", type=SECONDS, default=120,
                        help="seconds to wait for the SMS (default 120, at most 3600)")
    parser.add_argument("--interval", type=INTERVAL, default=5,
                        help=f"seconds between polls (default 5, at least {MIN_INTERVAL_S:g})")
    parser.add_argument("--code-regex", help="regex for the code in the SMS (group 1 if it has one)")


def wait_command_options(parser):
    order_id(parser, required=False)
    wait_options(parser)
    parser.add_argument("--next", action="store_true", help="wait for an SMS other than every one already seen for "
                        "this order (after pressing resend on the site); needs --id")
    parser.add_argument("--finish", action="store_true", default=False,
                        help="confirm (status 3) as soon as the code arrives (default: leave it received; run "
                        "`finish --id` once the code worked)")
    parser.add_argument("--no-finish", action="store_false", dest="finish", help=argparse.SUPPRESS)


def order_id(parser, required=True):
    parser.add_argument("--id", required=required, help="order id (as printed by buy)")


def finish_options(parser):
    order_id(parser)
    parser.add_argument("--code", type=read_code, help="the code you read yourself in the order's SMS (after status "
                        "sms_without_code) and used: the order is confirmed, and the ledger records your reading")


def read_code(text):
    """finish --code: a verification code as a person or agent reads it (letters, digits, hyphens; 3 to 20)."""
    code = text.strip()
    if not re.fullmatch(r"[^\W_]([^\W_]|-(?=[^\W_])){2,19}", code):
        raise argparse.ArgumentTypeError(f"must be the code as the SMS gives it (3 to 20 letters or digits, hyphens "
                                         f"between them), got {text!r}")
    return code


def search_option(parser):
    parser.add_argument("--search", metavar="TEXT", help="only names matching TEXT")


def products_options(parser):
    parser.add_argument("--country", required=True)
    parser.add_argument("--service", required=True)


def receive_options(parser):
    buy_options(parser)
    wait_options(parser)
    parser.add_argument("--finish", action="store_true", default=None,
                        help="confirm (status 3) as soon as the code arrives, even at a terminal (the default "
                        "without one); at a terminal the default is to ask: Enter confirms, r waits for the next SMS, "
                        "c cancels")
    parser.add_argument("--no-finish", action="store_false", dest="finish",
                        help="do not confirm (status 3) after the code arrives, and do not ask; `finish --id` later")
    parser.add_argument("--attempts", type=whole_number(MAX_ATTEMPTS), default=1, metavar="N",
                        help="after a timeout or a platform close, cancel and buy the next number (the best operator "
                        "not just tried), up to N numbers in all, each waited on up to --timeout, sooner given up "
                        f"where the history shows its SMS come sooner (default 1, at most {MAX_ATTEMPTS})")
    parser.add_argument("--number-file", metavar="FILE", help="also write the number to FILE")
    parser.add_argument("--copy", action="store_true", help="put the number, then the code, on the clipboard "
                        "(pbcopy, wl-copy, xclip, xsel or clip) and ring the terminal bell when the code arrives")


def check_options(parser):
    order_id(parser)
    parser.add_argument("--code-regex", help="regex for the code in the SMS")


def doctor_options(parser):
    parser.add_argument("--flow", action="store_true", help="also rehearse buy (test mode only), get-sms and cancel "
                        "on the first working base URL, and show the shape of each answer")
    for name in ("--country", "--service", "--operator"):
        parser.add_argument(name, help=f"{name[2:]} for --flow (default: the first listed / the cheapest)")


def cleanup_options(parser):
    parser.add_argument("--all", action="store_true", help="include orders whose process is still running")
    parser.add_argument("--forget", metavar="ID", help="mark an open order or purchase (attempt-N) as settled by "
                        "hand, after checking it on the website; sends nothing")


SUBCOMMANDS = {
    "countries": ("list countries", search_option),
    "services": ("list services", search_option),
    "products": ("operators with price and stock, cheapest in stock first", products_options),
    "buy": ("buy a number and record the order; `wait` collects the code", buy_options),
    "wait": ("poll for the code (left received: `finish` once it worked), or cancel on the deadline",
             wait_command_options),
    "receive": ("buy then wait in one run (for a person at a terminal)", receive_options),
    "check": ("one get-sms call, no waiting", check_options),
    "finish": ("confirm an order that has its code, or whose code you read (--code) (status 3)", finish_options),
    "cancel": ("cancel an order and get the money back (status 4)", order_id),
    "refund": ("ask for a refund after an error (status 5)", order_id),
    "orders": ("the ledger: open orders and money (--all: history too, newest first, --limit of them)",
               lambda p: (p.add_argument("--all", action="store_true"),
                          p.add_argument("--limit", type=whole_number(100_000), default=50,
                                         help="at most this many orders listed, newest first (default 50); the "
                                              "totals always count them all"))),
    "stats": ("the delivery history per site, country, service and operator: bought, delivered, time to the SMS",
              lambda p: (p.add_argument("--country", help="only this country (id, or a name in the cached list)"),
                         p.add_argument("--service", help="only this service (id, or a name in the cached list)"))),
    "cleanup": ("settle orders left by runs that died; list purchases that got no answer", cleanup_options),
    "doctor": ("diagnose the connection and the key per base URL, spending nothing; next steps", doctor_options),
}


def build_parser(doc, only=None):
    """The parser, its help from the script's docstring. With `only`, that command's options alone; without, every
    command by name only, which is all that the overview (--help) and an unknown command's error need: building them
    all is most of a run's start-up."""
    parser = Parser(prog="smsonline_receive_sms.py", description=doc.split("\n\n")[0],
                    epilog=doc[doc.index("Usage:"):], formatter_class=help_formatter)
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (text, add_options) in SUBCOMMANDS.items():
        if only in (None, name):
            sub = commands.add_parser(name, help=text, description=text, formatter_class=help_formatter)
            if only:
                add_global_options(sub)
                add_options(sub)
    return parser


def command_named(argv):
    """The command in argv (skipping global options and their values), or None if help comes first or none is."""
    skip = False
    for arg in argv:
        if skip or arg in VALUED_GLOBALS:
            skip = not skip
        elif arg in ("-h", "--help"):
            return None
        elif not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def parse_args(argv, doc):
    args = build_parser(doc, command_named(argv)).parse_args(argv)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    not_utf8 = option_not_utf8(args)
    if not_utf8:
        raise UsageError(f"{not_utf8} is not valid UTF-8 text: give it in UTF-8 (check the terminal's or the calling "
                         "program's encoding)")
    if getattr(args, "number_file", None):
        check_number_file(args.number_file)
    if getattr(args, "code_regex", None):
        try:
            re.compile(args.code_regex)
        except re.error as exc:
            raise UsageError(f"--code-regex is not a valid regular expression: {exc}") from None
    return args


def option_not_utf8(args):
    """The first option whose value came as bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    for name, value in vars(args).items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and re.search("[\ud800-\udfff]", text):
                return f"--{name.replace('_', '-')}"
    return None


def check_number_file(path):
    """--number-file: a name the system accepts, not a folder, in a writable folder; checked before anything is
    bought (a write that fails after the purchase would cost the order)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:  # a name too long, a part of the path that is a file, a NUL byte …
        raise UsageError(f"--number-file {path!r} cannot be a file ({getattr(exc, 'strerror', None) or exc}); "
                         "give a shorter, plain file path") from None
    if os.path.isdir(path) or not os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
        raise UsageError(f"--number-file {path}: a folder, or in a folder that does not exist or is not "
                         "writable; give a file path")


def start_sandbox(config, log):
    """--sandbox: the bundled simulator in a background thread; base URLs point at it."""
    import smsonline_sandbox  # imported only here, so normal runs pay nothing for it

    try:  # its argparse talks on stdout and stderr: neither may reach the run's output
        with contextlib.redirect_stderr(io.StringIO()) as complaint, contextlib.redirect_stdout(io.StringIO()):
            server = smsonline_sandbox.start(api_key=SANDBOX_KEY, options=config.sandbox_args,
                                             state_file=os.path.join(config.state_dir, "sandbox.json"))
    except SystemExit:  # its argparse rejected SMSONLINE_SANDBOX_ARGS (or was asked for --help)
        problem = complaint.getvalue().strip().splitlines()[-1:] or ["not flags for a run"]
        raise Failure("config", f"SMSONLINE_SANDBOX_ARGS: {problem[0]}") from None
    except OSError as exc:  # e.g. --port taken
        raise Failure("config", f"SMSONLINE_SANDBOX_ARGS: the sandbox cannot start ({exc}).") from None
    config.base_urls = list(getattr(server, "base_urls", [server.base_url]))
    log.debug(f"sandbox at {', '.join(config.base_urls)}")
    return server


def ledger_note(store):
    return (f"The ledger could not be written ({store.write_failures[-1]}): what this run did is not all recorded; "
            "free space in the state dir, then run `orders` and `cleanup`.")


def opened_ledger(args, config, now, log):
    """The ledger. One SQLite cannot read leaves `cancel --id` working (on a ledger in memory, said so): an open
    order must stay cancellable while the file is being recovered. A command that only reads (`orders`, `doctor`
    without --flow) never creates one: where there is none, it reads an empty ledger in memory."""
    if reads_only(args) and not os.path.exists(os.path.join(config.state_dir, "ledger.sqlite3")):
        return Store(":memory:", sandbox=config.sandbox, now=now)
    try:
        return Store(config.state_dir, sandbox=config.sandbox, now=now, probe=args.command not in OFFLINE_COMMANDS)
    except Failure as failure:
        if args.command != "cancel" or "ledger" not in failure.data:
            raise
        log.notice(f"{failure.message} This cancel is recorded in memory only.")
        return Store(":memory:", sandbox=config.sandbox, now=now)


def reads_only(args):
    return args.command in OFFLINE_COMMANDS or args.command == "doctor" and not args.flow


def run(args, config, clock, sleep, guard, now):
    log = Log(config.verbose, config.quiet)
    check_requirements(load=False)
    if args.command not in KEYLESS_COMMANDS and not config.sandbox:
        require_a_key(config)
    sandbox = start_sandbox(config, log) if config.sandbox else None
    try:
        if config.tracer:
            config.tracer.write("run", {"argv": traced_argv(args.argv), "bases": config.base_urls,
                                        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        store = opened_ledger(args, config, now, log)
        if sandbox:  # sandbox orders keep working across runs although the port changes
            store.db.execute("UPDATE orders SET base_url = ? WHERE sandbox = 1", (sandbox.base_url,))
        ctx = Context(config=config, store=store, log=log, guard=guard, clock=clock, sleep=sleep, tracer=config.tracer)
        try:
            body = COMMANDS[args.command](ctx, args)
        except ImportError:  # found, yet they do not load (broken, too old): before any request, as `config` too
            check_requirements(load=True)
            raise
        except Failure as failure:
            store.write_what_is_unwritten()
            if store.write_failures:
                failure.message += " " + ledger_note(store)
            explain_null_number(failure.data)
            raise
        store.write_what_is_unwritten()
        if store.write_failures:
            body["warning"] = " ".join(filter(None, [body.get("warning"), ledger_note(store)]))
        explain_null_number(body)
        return body
    finally:
        if sandbox:
            sandbox.stop()


def check_requirements(load):
    """Before any command: the requirements are found (load: and import); else the `config` line that installs them.
    A purchase needs requests imported, so nothing can be bought before they are known to load."""
    problem = missing_requirements(load)
    if problem:
        raise Failure("config", problem)


def explain_null_number(data):
    """A line whose number fields stay null because phonenumberslite is missing says so in its warning."""
    note = missing_optional_note() if "national_number" in data and data["national_number"] is None else None
    if note:
        data["warning"] = " ".join(filter(None, [data.get("warning"), note]))


def traced_argv(argv):
    """The command line as a trace records it: without --trace and its file, a --proxy shown without credentials."""
    kept, skip = [], False
    for previous, arg in zip([None, *argv], argv):
        if skip or arg == "--trace":
            skip = not skip
        elif arg.startswith("--proxy="):
            kept.append("--proxy=" + shown_proxy(arg[len("--proxy="):]))
        elif not arg.startswith("--trace="):
            kept.append(shown_proxy(arg) if previous == "--proxy" else arg)
    return kept


def main(doc, argv=None, environ=None, clock=time.monotonic, sleep=time.sleep, now=time.time, early_signals=()):
    """Run one command and print its JSON line; returns the exit code. early_signals: those the entry script held
    while the package loaded (the first stops the run at once)."""
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else list(argv)
    guard, command, config = SignalGuard(), "unknown", None
    REDACT.use(value for name, value in environ.items() if name.startswith("SMSONLINE_API_KEY"))
    try:
        guard.install(early_signals)
        args = parse_args(argv, doc)
        command, args.argv = args.command, argv
        config = load_config(args, environ, lenient=command == "doctor")  # doctor reports bad settings
        REDACT.use([*REDACT.secrets, *config.settings.secrets(), *proxy_secrets(args.proxy),
                    *([SANDBOX_KEY] if config.sandbox else [])])
        config.tracer = Tracer(config.trace) if config.trace else None
        body = run(args, config, clock, sleep, guard, now)
        ok, code = True, STATUS_EXIT_CODES.get(body.get("status"), 0)
    except SystemExit as exit_:  # --help
        guard.restore()
        return exit_.code or 0
    except BaseException as exc:
        failure = Failure("usage", f"{exc}; see --help.") if isinstance(exc, UsageError) else as_failure(exc)
        body, ok, code = failure.line(), False, failure.exit_code
    line = json_line(command, ok, body)
    with guard.deferred():  # the answer is known: a signal now must not cost its line
        emit_line(line)
        tracer = getattr(config, "tracer", None)  # a signal may have come before the tracer was made
        if tracer:
            tracer.write("outcome", {"exit": code, "line": json.loads(line)})
    guard.restore()
    return code
