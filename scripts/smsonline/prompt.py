"""`receive` at a terminal: once the code is in hand, one key decides the order. Enter = the code worked (confirm,
status 3); r = the site rejected it and the person pressed resend (wait for the next SMS as `wait --next` does, then
ask again); c = cancel (status 4). An SMS in which the rule found no code is shown instead, and asks: Enter = a code
from it worked (confirm, recorded as the person's reading); w = wait for another SMS; c = cancel. No key within --hold
seconds, or Ctrl-C, leaves the order as it is for `cleanup`: it is never cancelled or confirmed without a key. Keys
are read as a person types them: of what one read brings ("c\n" from a paste, a slow SSH link, tmux or expect), the
first key that means something counts, as if the keys had come one by one. A run that is not in its terminal's
foreground process group (`receive … &`) does not ask: it behaves as without a terminal, and never stops on
SIGTTOU/SIGTTIN. While it asks, the user's command in another run (`cancel --id`, `finish --id`, `cleanup --all`) is
looked for every second (users_word.py)."""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys

from . import flows
from .ledger import ASK_EVERY_S, CANCEL, public_order
from .output import Failure, Interrupted, stderr_is_a_terminal, to_stderr

KEYS = {"\n": "enter", "\r": "enter", "r": "resend", "R": "resend", "c": "cancel", "C": "cancel"}
ESCAPE_SEQUENCE = r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?"  # an arrow or function key: one key, meaning nothing here
QUESTION = ("Enter = the code worked: confirm · r = the site rejected it and you pressed resend: wait for the next "
            "SMS · c = cancel")
TEXT_KEYS = {"\n": "enter", "\r": "enter", "w": "resend", "W": "resend", "c": "cancel", "C": "cancel"}
TEXT_QUESTION = "Enter = you used a code from it: confirm · w = wait for another SMS · c = cancel"


def at_a_terminal():
    """stdin and stderr are terminals on which one key can be read (termios: not on Windows), and this run is in the
    terminal's foreground process group: from the background, changing the terminal's mode would stop it (SIGTTOU)."""
    try:
        import termios  # noqa: F401  (only its presence matters here)

        return sys.stdin.isatty() and stderr_is_a_terminal() and in_the_foreground()
    except (ImportError, AttributeError, ValueError):
        return False


def in_the_foreground():
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except OSError:  # no controlling terminal (a pty handed over without one): nothing can stop the run
        return True


@contextlib.contextmanager
def keys_one_by_one():
    """The terminal reads each key as it is typed while the question is on (Ctrl-C still sends SIGINT); keys typed
    before the question are dropped; its mode is restored whatever happens."""
    import termios
    import tty

    descriptor = sys.stdin.fileno()
    saved = termios.tcgetattr(descriptor)
    stops = [(signum, signal.signal(signum, signal.SIG_IGN)) for signum in (signal.SIGTTOU, signal.SIGTTIN)]
    try:  # sent to the background meanwhile (Ctrl-Z, bg): the mode is restored, a read fails, nothing stops the run
        tty.setcbreak(descriptor, termios.TCSAFLUSH)  # TCSAFLUSH: drops what was typed before
        yield
    finally:
        with contextlib.suppress(termios.error, OSError):  # a terminal closed meanwhile (SIGHUP) has no mode left
            termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)
        for signum, previous in stops:
            signal.signal(signum, previous)


def read_key(seconds):
    """What one read of the terminal brings (one key, or several at once) -> its text; None after `seconds`, "" at
    the end of input."""
    import select

    descriptor = sys.stdin.fileno()
    if not select.select([descriptor], [], [], seconds)[0]:
        return None
    try:
        return os.read(descriptor, 64).decode("utf-8", "replace")
    except OSError:  # a terminal gone, or this run sent to the background: no more keys
        return ""


def meaning(typed, keys=KEYS):
    """What one read means: its first key that means something here, as if its keys had come one by one ("c\n" is
    c; "\n" is Enter); None when none does (other keys, arrows and function keys)."""
    return next((keys[key] for key in re.sub(ESCAPE_SEQUENCE, "", typed) if key in keys), None)


def answer(ctx, seconds, keys=KEYS, asked=lambda: None):
    """The person's choice ("enter", "resend", "cancel"), "silence" after `seconds`, or what the user's command in
    another run asks (asked(), looked at every ASK_EVERY_S); keys that mean nothing here are ignored."""
    deadline = ctx.clock() + seconds
    while deadline > ctx.clock():
        request = asked()
        if request:
            return request
        typed = read_key(min(ASK_EVERY_S, deadline - ctx.clock()))
        if typed == "":
            break
        choice = meaning(typed, keys) if typed else None
        if choice:
            return choice
    return "silence"


def decided_at_the_terminal(ctx, order, args, line, on_code):
    """The received order settled by one key (args.finish is False here: nothing was confirmed yet) -> the line."""
    resends = 0
    try:
        while True:
            text_only = line["status"] == "sms_without_code"  # the person reads the code in the text
            if not in_the_foreground():  # sent to the background since it started: as without a terminal
                decided = line if text_only else confirmed(ctx, order, args, line)
                return {**decided, "prompt": "background", "resends": resends}
            with keys_one_by_one():
                (show_text if text_only else show_code)(order, line, args.hold)
                choice = answer(ctx, args.hold, TEXT_KEYS if text_only else KEYS, lambda: ctx.store.asked_of_me(order))
            if choice not in PERSONS_CHOICES:  # the user's command in another run
                from .users_word import honoured

                raise honoured(ctx, order, choice)
            # the wait's deadline is past: the next wait has its own, a confirm or cancel seconds from the key
            ctx.api.stop_at = None if choice == "resend" else ctx.clock() + flows.SETTLE_GRACE_S
            if choice == "resend":
                resends += 1
                ctx.log.notice("waiting for the next SMS (the site's resend) …")
                line = flows.wait_and_settle(ctx, order, args, on_code=on_code)
                continue
            decide = {**CHOICES, "enter": read_by_the_person}[choice] if text_only else CHOICES[choice]
            return {**decide(ctx, order, args, line), "prompt": choice, "resends": resends}
    except (Interrupted, KeyboardInterrupt) as stop:
        raise interrupted_at_the_prompt(ctx, order, stop, resends) from None


def show_code(order, line, hold):
    """The code and the question, even with -q: a question nobody sees must not be asked."""
    national = f" ({order['dial_code']} {order['national_number']})" if order.get("dial_code") else ""
    to_stderr(f"code {order['code']} for {order['number']}{national}, order {order['order_id']}.")
    to_stderr(f"{QUESTION} · no key within {hold:g} s: it stays received for `cleanup`.")


def show_text(order, line, hold):
    """An SMS in which no code was found: its text(s), the bell, and the question, even with -q."""
    national = f" ({order['dial_code']} {order['national_number']})" if order.get("dial_code") else ""
    to_stderr(f"an SMS came for {order['number']}{national}, order {order['order_id']}, but the skill found no code "
              "in it; read it:", start="\a")
    for text in line["texts"]:
        to_stderr(f"  {text}")
    to_stderr(f"{TEXT_QUESTION} · no key within {hold:g} s: it stays as it is for `finish --code` or `cancel`.")


def read_by_the_person(ctx, order, args, line):
    """Enter on an SMS without a code: the person used a code from it; the ledger records it as their reading."""
    ctx.store.update(order, code=None, code_from="person")
    return {**confirmed(ctx, order, args, line), "code": None}


def confirmed(ctx, order, args, line):
    facts = {name: line.get(name) for name in ("elapsed_s", "polls", "sms")}
    return flows.confirmed(ctx, order, argparse.Namespace(**{**vars(args), "finish": True}), facts,
                           warning=line.get("warning"))


def cancelled(ctx, order, args, line):
    """c: cancel. A platform that refuses because the SMS counts as used leaves the order received, and says so."""
    flows.settle(ctx, order, CANCEL, "at the prompt: ")
    result = {**line, **public_order(order), "status": order["state"], "finished": False}
    if order["state"] in ("received", "sms_without_code"):
        result["warning"] = (f"the platform refused the cancel: the SMS counts as used, so order {order['order_id']} "
                             f"stays {order['state']}; {what_next(order, cancel=False)}")
        ctx.log.notice(result["warning"])
    return result


def left_received(ctx, order, args, line):
    warning = (f"no key within {args.hold:g} s: order {order['order_id']} stays {order['state']} (neither confirmed "
               f"nor cancelled); {what_next(order)}")
    ctx.log.notice(warning)
    return {**line, **public_order(order), "warning": " ".join(filter(None, [line.get("warning"), warning]))}


def interrupted_at_the_prompt(ctx, order, stop, resends):
    name = signal.Signals(getattr(stop, "signum", signal.SIGINT)).name
    kept = f"with code {order['code']}" if order.get("code") else "with its SMS"
    message = (f"stopped by {name} at the prompt: order {order['order_id']} stays {order['state']} {kept} (never "
               f"cancelled without a key): {what_next(order)}")
    ctx.log.notice(message)
    return Failure("interrupted", message, status="interrupted", prompt="interrupted", resends=resends,
                   **public_order(order))


def what_next(order, cancel=True):
    """For an order left received: how a person settles it, and what `cleanup` does if nobody does."""
    order_id = order["order_id"]
    cancel_it = f", `cancel --id {order_id}` if not" if cancel else ""
    if not order.get("code"):
        return (f"`finish --id {order_id} --code CODE` if a code you read in its SMS worked{cancel_it}; else "
                "`cleanup` cancels it after its hold.")
    return f"`finish --id {order_id}` if the code worked{cancel_it}; else `cleanup` confirms it after its hold."


CHOICES = {"enter": confirmed, "cancel": cancelled, "silence": left_received}
PERSONS_CHOICES = {*KEYS.values(), "silence"}
