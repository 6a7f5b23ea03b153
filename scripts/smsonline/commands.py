"""The commands: each takes the run's Context and its parsed arguments and returns the body of its JSON line."""
from __future__ import annotations

import collections
import functools
import os
import types

from .config import Budget, host_of, site_of, site_token, user_limit
from .ledger import (AFTER_AN_SMS, CANCEL, DAY_S, DONE_STATE, FINISH, HELD_FOR_THE_AGENT, OPEN_STATES, PENDING_ACTION,
                     REFUND, SETTLED_STATES, SPENT_STATES, iso_time, public_order, reference, run_gone, shown_state)
from .names import cached_catalog, catalog, list_products, matches, resolve
from .output import Failure, copy_to_clipboard, stderr_is_a_terminal, to_stderr
from .platform import DEFAULT, declared, protocol_of


class Context(types.SimpleNamespace):
    """What the commands work with: config, store, log, guard, clock, sleep, tracer; api is made on first use."""

    @functools.cached_property
    def api(self):
        from .http import Api  # requests is imported only by commands that make a request

        return Api(self.config, self.store, self.log, self.clock, self.tracer)


def flows():
    """The flows and the parser under them, imported when a command first touches an order: `orders`, `--help`, a
    cached list or a cleanup with nothing to do start faster without them."""
    from . import flows as module

    return module


def users_word():
    """The user's command reaching an order another run holds (imports the flows)."""
    from . import users_word as module

    return module


def at_first_site_that_answers(ctx, work):
    """work(base) at the first site that answers (lists and ids are per site, so one site does all of a command)."""
    bases, attempts = ctx.store.in_order(ctx.config.base_urls), []  # a cached list needs no HTTP layer
    for position, base in enumerate(bases):
        try:
            return work(base)
        except Failure as failure:
            attempts += failure.attempts
            if failure.kind not in ("network", "api", "auth") or position == len(bases) - 1:
                failure.attempts = attempts
                failure.message = "; ".join(f"{a['host']}: {a['error']} (next: {a['next_step']})" for a in attempts) \
                    if len(attempts) > 1 else failure.message
                raise


def cmd_catalog(kind):
    def run(ctx, args):
        items = at_first_site_that_answers(ctx, lambda base: catalog(ctx, kind, base))
        if args.search:
            items = matches(items, kind, args.search) or [i for i in items if args.search.casefold() in i["id"]]
        return {"status": "ok", "count": len(items), "items": items}
    return run


def cmd_products(ctx, args):
    def at(base):
        country_id, service_id = resolve(ctx, "country", args.country, base), resolve(ctx, "service", args.service,
                                                                                      base)
        items = list_products(ctx, country_id, service_id, base)
        return {"status": "ok", "country_id": country_id, "service_id": service_id, "count": len(items),
                "items": items, "base_url": base}
    return at_first_site_that_answers(ctx, at)


def cmd_buy(ctx, args):
    let_go = users_word().holders_let_go(ctx) if args.replace else []

    def announce(order, replaced, warnings):
        replaced = [*let_go, *replaced]
        tell_replaced(ctx, replaced)
        ctx.log.notice(f"number {order['number']} (order {order['order_id']}) is yours; run `wait` within "
                       f"{args.hold:g}s.")
        line = {"status": "waiting", **public_order(order), "hold_s": args.hold, "replaced": replaced}
        return {**line, "warning": " ".join(warnings)} if warnings else line
    return flows().with_bought_number(ctx, args, announce)


def tell_replaced(ctx, replaced):
    for old in replaced:
        ctx.log.notice(f"replaced: order {old['order_id']} is now {old['order_status']}.")


def cmd_wait(ctx, args):
    if args.next and args.id is None:
        raise Failure("usage", "--next waits for another SMS on one order: give it with --id.")
    order = flows().sole_waiting_order(ctx) if args.id is None else flows().order_or_adopted(ctx, args.id)
    already = {"elapsed_s": 0.0, "polls": 0, "sms": order.get("sms")}
    if order["state"] == "received" and order.get("code") and not args.next:  # `check` already saw the code
        return flows().confirmed(ctx, order, args, already)
    if order["state"] == "sms_without_code" and not args.next:  # its SMS is the agent's to read
        return flows().without_code(order, already, [order["sms"]])
    if order["state"] not in ("waiting", *HELD_FOR_THE_AGENT):
        raise Failure("usage", f"order {order['order_id']} is {order['state']}, so no SMS can come for it any more; "
                      "buy a new number.", **public_order(order))
    with ctx.store.transaction():
        current = ctx.store.order(order["order_id"])
        if not run_gone(current):
            raise Failure("open_order", f"order {order['order_id']} is already being waited on by process "
                          f"{current['pid']}.")
        ctx.store.update(order, pid=os.getpid())
    return flows().guarded(ctx, order, args, lambda: flows().wait_and_settle(ctx, order, args))


def cmd_receive(ctx, args):
    """Buy, wait, then confirm; at a terminal (without --finish or --no-finish) one key decides instead (prompt.py).
    --attempts N: after a timeout or a platform close that left the order cancelled or closed, the next number."""
    from . import prompt  # termios, only for receive

    prompting = args.finish is None and prompt.at_a_terminal()
    args.finish = not prompting if args.finish is None else args.finish
    clipboard = {"copied": [], "failed": False}
    numbers, let_go = [], users_word().holders_let_go(ctx) if args.replace else []

    def copy(what, text):
        if args.copy and not clipboard["failed"]:
            clipboard["failed"] = not copy_to_clipboard(text, ctx.log)
            clipboard["copied"] += [] if clipboard["failed"] else [what]

    def on_code(received):
        copy("code", received["code"])
        ring_bell()

    def wait_for_it(order, replaced, warnings):
        replaced = [*let_go, *replaced] if not numbers else replaced
        tell_replaced(ctx, replaced)
        which = f"number {len(numbers) + 1} of {args.attempts}: " if args.attempts > 1 else "number: "
        give_up = given_up_after(ctx, order, args) if len(numbers) + 1 < args.attempts else None
        early = f" (the next number after {give_up:.0f}s without one: its operator's SMS come sooner)" if give_up \
            else ""
        ctx.log.notice(f"{which}{order['number']}  (order {order['order_id']}, price {order['price']}) — enter it on "
                       f"the site now; waiting up to {args.timeout:g}s for the SMS{early}.")
        if args.number_file:
            write_atomically(args.number_file, f"{order['number']}\n")
        copy("number", order["number"])
        line = flows().wait_and_settle(ctx, order, args, on_code=on_code, give_up_s=give_up)
        if prompting:
            line = prompt.decided_at_the_terminal(ctx, order, args, line, on_code)
        warning = " ".join(filter(None, [*warnings, line.get("warning")]))
        return {**line, **({"replaced": replaced} if replaced else {}), **({"warning": warning} if warning else {})}

    while True:
        try:
            line = flows().with_bought_number(ctx, args, wait_for_it)
        except Failure as failure:
            numbers.append(attempt_of(failure.data, "sms_without_code" if failure.reason == AFTER_AN_SMS else
                                      failure.kind))
            if len(numbers) == args.attempts or not worth_another_number(failure):
                raise with_receive_facts(ctx, failure, failure.data, numbers, clipboard, args) from None
            next_number(ctx, args, numbers)
            continue
        numbers.append(attempt_of(line, "sms_without_code" if line["status"] == "sms_without_code" else "received"))
        tell_the_outcome(ctx, line)
        return with_receive_facts(ctx, None, line, numbers, clipboard, args)


def given_up_after(ctx, order, args):
    """When a number of receive --attempts with numbers left is given up early: choice.give_up_after on its
    operator's history, or None (its whole --timeout)."""
    from . import choice, history

    known = history.known_here(ctx, order["base_url"], order["country_id"], order["service_id"])
    return choice.give_up_after(known.get(order["operator_id"]), args.timeout, args.interval)


def attempt_of(data, outcome):
    """One number of `receive --attempts`, as its line lists it (no order: a purchase refused before any)."""
    return {"order_id": data.get("order_id"), "operator_id": data.get("operator_id"), "price": data.get("price"),
            "outcome": outcome, "order_status": data.get("order_status")}


def worth_another_number(failure):
    """The next number only after a timeout or a platform close that left nothing open (rule 3), never after an SMS
    came (closed after it, the SMS is the agent's to read), a failed cancel, a purchase that may have reached the
    platform, a limit, or a signal."""
    return failure.kind in ("timeout", "order_closed") and failure.data.get("order_status") in ("cancelled", "closed") \
        and failure.reason != AFTER_AN_SMS


def next_number(ctx, args, numbers):
    last = numbers[-1]
    args.tried_operators = [*getattr(args, "tried_operators", []), last["operator_id"]]
    ctx.api.stop_at = None  # the settled order's deadline is not the next one's
    ctx.log.notice(f"number {len(numbers)} of {args.attempts} ended ({last['outcome']}, order {last['order_id']} "
                   f"{last['order_status']}); buying number {len(numbers) + 1} of {args.attempts} …")


def with_receive_facts(ctx, failure, data, numbers, clipboard, args):
    """The line's receive-only fields: attempts and attempts_summary (with --attempts above 1, also on stderr),
    copied and the clipboard's warning (--copy). Returns the line, or the failure with them."""
    extra = {}
    if args.attempts > 1:
        tried = [n for n in numbers if n["order_id"] or n["order_status"]]
        extra.update(attempts=tried, attempts_summary=summary_of(tried))
        for position, number in enumerate(tried, 1):
            ctx.log.notice(f"number {position}: order {number['order_id']} (operator {number['operator_id']}, price "
                           f"{number['price']}): {number['outcome']}, now {number['order_status']}")
        ctx.log.notice(extra["attempts_summary"])
    if args.copy:
        extra["copied"] = clipboard["copied"]
    if clipboard["failed"]:
        said = "--copy: no clipboard tool worked (pbcopy, wl-copy, xclip, xsel or clip): nothing more was copied."
        if failure:
            failure.message += f" {said}"
        else:
            extra["warning"] = " ".join(filter(None, [data.get("warning"), said]))
    if failure:
        failure.data.update(extra)
        return failure
    return {**data, **extra}


def summary_of(tried):
    """One sentence on the numbers `receive --attempts` tried: which got an SMS, what became of them, what they cost
    ("3 numbers tried, none got an SMS; all 3 cancelled, nothing spent.")."""
    got = [f"number {i} got {'its code' if n['outcome'] == 'received' else 'an SMS without a code'}"
           for i, n in enumerate(tried, 1) if n["outcome"] in ("received", "sms_without_code")]
    states = collections.Counter(n["order_status"] for n in tried)
    fates = f"all {len(tried)} {tried[0]['order_status']}" if len(states) == 1 and len(tried) > 1 else \
        ", ".join(f"{count} {state}" for state, count in states.items())
    spent = sum(n["price"] or 0 for n in tried if paid_for(n))
    held = sum(n["price"] or 0 for n in tried if n["order_status"] in OPEN_STATES and
               n["order_status"] not in SPENT_STATES)
    money = ", ".join(filter(None, [f"{spent:g} spent" if spent else "", f"{held:g} held until settled" if held
                                    else ""])) or "nothing spent"
    tries = f"{len(tried)} number{'s' if len(tried) != 1 else ''} tried"
    return f"{tries}, {', '.join(got) or 'none got an SMS'}; {fates}, {money}."


def paid_for(number):
    """Whether a number `receive --attempts` tried is spent: its code came and it is (being) confirmed, or the
    platform closed it once its SMS had come (as ledger.costs_its_price says of an order)."""
    came = number["outcome"] in ("received", "sms_without_code")
    return number["order_status"] in SPENT_STATES or number["order_status"] == "closed" and came


def tell_the_outcome(ctx, line):
    """The last human line on a terminal, before the JSON line: the code, the number, and whether it is confirmed."""
    if stderr_is_a_terminal():
        state = "confirmed" if line.get("finished") else f"{line['order_status']}, not confirmed"
        what = f"code {line['code']}" if line.get("code") else "an SMS without a code the skill could read"
        ctx.log.notice(f"{what} · number {line.get('number')} · order {line.get('order_id')} {state}.")


def ring_bell():
    if stderr_is_a_terminal():
        to_stderr("", end="\a")


def cmd_check(ctx, args):
    """One get-sms; read-only for orders the ledger does not know."""
    order = flows().recorded_order(ctx, args.id)
    state = flows().fetch_sms(ctx, order or {"order_id": args.id}, args.code_regex)
    if order and state.code and order["state"] == "waiting":
        flows().record_code(ctx, order, state)
    elif order and state.new_texts and order["state"] == "waiting":
        flows().held_for_the_agent(ctx, order, state)
    elif order and state.closed and order["state"] == "waiting":
        flows().settle(ctx, order, CANCEL)  # make sure: the platform refuses it if the order really is over
    status = "received" if state.code else "closed" if state.closed else "sms_without_code" if state.new_texts \
        else "waiting"
    shown = {**public_order(order), "order_status": shown_state(order, ctx.store.now())} if order else \
        {"order_id": str(args.id)}
    return {"status": status, **shown, "code": state.code, "sms": state.sms,
            **({"texts": list(state.new_texts)} if state.new_texts else {})}


def cmd_change_status(action):
    def run(ctx, args):
        order = flows().recorded_order(ctx, args.id)
        if action == REFUND:
            refund_exists_at(order["base_url"] if order else ctx.api.bases_in_order()[0], args.id)
        found = evidence_of_a_code(ctx, order, args) if action == FINISH else None
        order = order or flows().order_or_adopted(ctx, args.id)
        if order["state"] in SETTLED_STATES:
            if order["state"] == DONE_STATE[action]:
                return {"status": order["state"], **public_order(order), "warning": "already done: nothing was sent."}
            raise Failure("usage", f"order {order['order_id']} is already {order['state']}; nothing was sent.",
                          **public_order(order))
        if found:
            ctx.store.update(order, **found)
        users_word().settled(ctx, order, action)  # the user's word: a live run holding it is asked to do it
        line = {"status": order["state"], **public_order(order)}
        if action == CANCEL and order["state"] in HELD_FOR_THE_AGENT:
            line["warning"] = ("the platform refused the cancel because an SMS had arrived: the code is in `code`; "
                               f"run `finish --id {order['order_id']}` once it is used." if order["code"] else
                               "the platform refused the cancel because an SMS had arrived (its text is in `sms`): "
                               f"run `finish --id {order['order_id']} --code CODE` once a code you read in it "
                               "worked.")
            line["sms"] = order["sms"]
        return line
    return run


def refund_exists_at(base, order_id):
    """refund --id: a protocol without a refund is told before the ledger changes or anything is sent."""
    protocol = declared(base)
    if REFUND not in protocol.operations:
        raise Failure("usage", f"order {order_id} is at {host_of(base)}, whose protocol ({protocol.name}) has no "
                      "refund: "
                      f"nothing was sent and the ledger is unchanged. Before its code came, `cancel --id {order_id}` "
                      "cancels it and returns its price; once a code came, the order is charged and there is "
                      "nothing to do.")


def evidence_of_a_code(ctx, order, args):
    """What a confirm rests on -> the fields to record first (None: the ledger has them already): the rule's code,
    or the code the agent read itself (--code) in an SMS that came; without either, nothing is confirmed."""
    read = {"code": args.code, "code_from": "agent"} if args.code else None
    if order and (order["state"] in HELD_FOR_THE_AGENT and read or order.get("code") and not read):
        return read
    found = flows().fetch_sms(ctx, order or {"order_id": args.id})
    if read and (found.code or found.new_texts):
        return {**read, "sms": found.sms}
    if found.code and not read:
        return {"code": found.code, "sms": found.sms}
    raise Failure("usage", f"order {args.id} has no SMS yet, and an order is never confirmed without a code: `wait` "
                  "or `check` first, or `cancel` it." if read or not found.new_texts else
                  f"order {args.id} has an SMS in which no code was found ({found.new_texts[0]!r}): if you read a "
                  f"code in it and it worked, `finish --id {args.id} --code CODE`; else `cancel --id {args.id}`.")


def cmd_orders(ctx, args):
    """The ledger's orders, and the money per site (each in its own currency) and per budget (over the orders it
    covers): never one sum across currencies. The totals at the top only where every order shares one currency."""
    now = ctx.store.now()
    matching = ctx.store.orders(None if args.all else OPEN_STATES)
    orders = [{**o, "state": shown_state(o, now)} for o in matching[::-1][:args.limit]]  # newest first
    line = {"status": "ok", "count": len(orders), "total": len(matching), "orders": [public_order(o) for o in orders]}
    currencies = {currency_of(o["base_url"]) for o in ctx.store.orders() if o["price"]}
    line.update(money(ctx.store, now, None if len(currencies) > 1 else lambda url: True))
    line["sites"] = [{"site": site, **money(ctx.store, now, lambda url, site=site: site_of(url) == site)}
                     for site in sorted({site_of(o["base_url"]) for o in ctx.store.orders() if o["price"]})]
    line["budgets"] = [budget_line(ctx.store, now, budget) for budget in budgets_set(ctx.config)]
    general = [b for b in line["budgets"] if b["variable"] == "SMSONLINE_DAILY_BUDGET"]
    if general:
        line.update(budget=general[0]["budget"], budget_left=general[0]["budget_left"])
    tell_the_money(ctx, line)
    return line


def currency_of(base_url):
    """Orders of one currency: SMSOnline's at every SMSOnline v1 site; each other site's own."""
    return "SMSOnline" if protocol_of(base_url)[0] == DEFAULT.name else site_of(base_url)


def money(store, now, counts):
    """spent, held, spent_24h, held_24h, test_spent, test_held over the orders counts(base_url) accepts (all null
    when counts is None: the orders are in several currencies)."""
    names = ("spent", "held", "spent_24h", "held_24h", "test_spent", "test_held")
    if counts is None:
        return dict.fromkeys(names)
    figures = [*store.money(counts=counts), *store.money(since=now - DAY_S, counts=counts),
               *store.money(only_test=True, counts=counts)]
    return dict(zip(names, figures))


def budgets_set(config):
    """Every daily budget set: the general one (over SMSOnline v1 sites' orders) and each site's own (over that
    site's orders, whatever their protocol)."""
    found = [Budget(config.daily_budget, "SMSONLINE_DAILY_BUDGET", lambda url: currency_of(url) == "SMSOnline")] \
        if config.daily_budget is not None else []
    names = {name for name, value in [*config.settings.items(), *config.settings.user_file.items()]
             if name.startswith("SMSONLINE_DAILY_BUDGET_") and value}
    for name in sorted(names):
        token = name[len("SMSONLINE_DAILY_BUDGET_"):]
        amount = user_limit(config.settings, f"daily_budget_{token.lower()}")
        found.append(Budget(amount, name, lambda url, token=token: site_token(url) == token))
    return found


def budget_line(store, now, budget):
    spent, held = store.money(since=now - DAY_S, counts=budget.counts)
    return {"variable": budget.variable, "budget": budget.amount, "spent_24h": spent, "held_24h": held,
            "budget_left": round(budget.amount - spent - held, 4)}


def tell_the_money(ctx, line):
    """At a terminal, the same money in words: per site, and per budget over what it covers."""
    if not stderr_is_a_terminal():
        return
    for site in line["sites"]:
        ctx.log.notice(f"{site['site']}: {site['spent']:g} spent, {site['held']:g} held ({site['spent_24h']:g} spent "
                       "in the last 24 hours), in that site's currency.")
    for budget in line["budgets"]:
        ctx.log.notice(f"{budget['variable']}: {budget['budget_left']:g} of {budget['budget']:g} left for the next 24 "
                       f"hours ({budget['spent_24h']:g} spent, {budget['held_24h']:g} held at the sites it covers).")


def cmd_stats(ctx, args):
    """The delivery history per site, country, service and operator, --test orders apart (history.py); offline: a
    name in --country or --service is looked up in each site's cached list. A table on stderr at a terminal."""
    from . import history

    rows = [history.stats_row(key, stats) for key, stats in history.summarize(ctx.store.deliveries()).items()
            if named(ctx, "country", args.country, key[0], key[1]) and named(ctx, "service", args.service, key[0],
                                                                            key[2])]
    rows.sort(key=lambda row: (row["site"], row["country_id"], row["service_id"], row["test"], -row["bought"]))
    if rows and stderr_is_a_terminal():
        for text in history.table(rows):
            ctx.log.notice(text)
    return {"status": "ok", "count": len(rows), "rows": rows}


def named(ctx, kind, text, base, item_id):
    """Whether a filter (an id, or a name in the site's cached list; None: any) means this id at this site."""
    if text is None or str(text).strip() == str(item_id):
        return True
    return any(item["id"] == str(item_id) for item in matches(cached_catalog(ctx, kind, base) or [], kind, text))


def cmd_cleanup(ctx, args):
    """Finish the work of runs that died: cancel open orders without a code, confirm received ones past their hold,
    resend pending confirms and refunds; list purchases that got no answer. --all: everything now, the user's word
    (orders within their hold settled, live runs of the skill asked). --forget settles one by hand. Every order met
    is in the line: settled, unsettled, pending, unknown, or left (with why)."""
    if args.forget is not None:
        return forget(ctx, args.forget)
    done, failed, unknown, pending, left = [], [], [], [], []
    ctx.store.mark_abandoned_purchases()
    for order in ctx.store.orders(OPEN_STATES):
        ctx.guard.checkpoint()  # Ctrl-C between two orders stops here (each settlement itself is never cut short)
        why = None if order["state"] == "unknown" else why_left(ctx, order, args.all)
        if order["state"] == "unknown" or why:
            (unknown if order["state"] == "unknown" else left).append({**public_order(order),
                                                                      **({"why": why} if why else {})})
            continue
        try:
            settle = users_word().settled if args.all else flows().settle
            settle(ctx, order, PENDING_ACTION[order["state"]])
            if order["state"] == "received":
                settle(ctx, order, FINISH)
            if order["state"] == "sms_without_code":  # the cancel was refused because its SMS came
                pending.append({**public_order(order), "error": "the platform refused the cancel because an SMS "
                                f"had come: `finish --id {order['order_id']} --code CODE` if a code in it was used, "
                                "else check the order on the website."})
                continue
            done.append(public_order(order))
        except Failure as failure:
            if failure.kind == "open_order":  # another run took it meanwhile, and is settling it
                left.append({**public_order(order), "why": failure.message})
                continue
            (pending if failure.kind == "early_cancel" else failed).append({**public_order(order),
                                                                             **failure.data, "error": failure.message})
    if failed:
        raise Failure("cancel_failed", f"{len(failed)} order(s) could not be settled; they stay in the ledger: run "
                      "`cleanup` again later (each `error` says what to check).", settled=done, unsettled=failed,
                      unknown=unknown, pending=pending, left=left)
    line = {"status": "ok", "count": len(done), "settled": done, "unknown": unknown, "pending": pending, "left": left}
    warnings = [f"{len(pending)} order(s) cannot be cancelled yet (each one's `error` says why): run `cleanup` "
                "again after its cancel_after, or do what its `error` says." if pending else "",
                f"{len(unknown)} purchase(s) got no answer, so the platform may have sold a number: check the "
                "website's orders page, cancel any you find there, then `cleanup --forget ID` each." if unknown else ""]
    return {**line, "warning": " ".join(filter(None, warnings))} if any(warnings) else line


def why_left(ctx, order, everything):
    """Why cleanup leaves an order alone, or None to settle it now. Plain cleanup settles only what nobody else
    will: a live run's order is that run's, and a bought order within its hold is its agent's (typing the number in,
    or using the code before `finish`). --all leaves only a purchase in flight."""
    until, state = iso_time(order["settle_after"] or 0), order["state"]
    if state == "buying":
        return "a purchase in flight: the run buying it records it"
    if everything:
        return None
    if not run_gone(order):
        doing = "is settling it" if state not in ("waiting", *HELD_FOR_THE_AGENT) else f"holds it ({state})"
        return f"a live run (process {order['pid']}) {doing}; `cleanup --all` or `cancel --id` asks it"
    if state == "waiting" and ctx.store.now() < (order["settle_after"] or 0):
        return f"bought, and within its hold until {until} for its `wait`; `cleanup --all` or `cancel --id` cancels " \
               "it now"
    if state == "received" and ctx.store.now() < (order["settle_after"] or 0):
        return f"has its code, and is within its hold until {until} for `finish`; `cleanup --all` confirms it now"
    if state == "sms_without_code" and ctx.store.now() < (order["settle_after"] or 0):
        return f"has an SMS without a code, and is within its hold until {until} for `finish --code`; `cleanup " \
               "--all` or `cancel --id` cancels it now"
    return None


def forget(ctx, ref):
    """Mark an open order or purchase as settled by hand (after checking the website); nothing is sent."""
    order = ctx.store.order(ref)
    if not order or order["state"] not in OPEN_STATES:
        listed = ", ".join(reference(o) for o in ctx.store.orders(OPEN_STATES)) or "none"
        raise Failure("usage", f"{ref!r} is not an open order or purchase in the ledger (open: {listed}).")
    if order["state"] == "waiting":  # its cancel can be sent: forgetting it would leave a number held, unseen
        raise Failure("usage", f"order {order['order_id']} is waiting for its SMS: `cancel --id {order['order_id']}` "
                      "frees it (and refunds it); only an order that cannot be settled from here is forgotten.",
                      **public_order(order))
    ctx.store.update(order, state="forgotten", note=f"forgotten by hand (was {order['state']})")
    return {"status": "forgotten", **public_order(order)}


def cmd_doctor(ctx, args):
    from .doctor import cmd_doctor as diagnose  # sockets and TLS by hand: only for this command

    return diagnose(ctx, args)


def write_atomically(path, text):
    import tempfile  # only for --number-file

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".number.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


COMMANDS = {
    "countries": cmd_catalog("country"), "services": cmd_catalog("service"), "products": cmd_products,
    "buy": cmd_buy, "wait": cmd_wait, "receive": cmd_receive, "check": cmd_check,
    "finish": cmd_change_status(FINISH), "cancel": cmd_change_status(CANCEL), "refund": cmd_change_status(REFUND),
    "orders": cmd_orders, "stats": cmd_stats, "cleanup": cmd_cleanup, "doctor": cmd_doctor,
}
OFFLINE_COMMANDS = ("orders", "stats")  # no request, no write
KEYLESS_COMMANDS = OFFLINE_COMMANDS + ("doctor",)  # doctor says what is missing instead of refusing to start


