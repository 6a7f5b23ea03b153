"""The flows, where the money is: buy and record, poll, then confirm or cancel, so that every order ends settled.
They speak in operations (platform.Op), never a protocol's endpoints or wire numbers: a new protocol changes nothing
here.

buy: bought_at_some_site -> what_to_buy (the site's own names, operator and limits) -> buy_number (rule 3, stale
orders settled, the purchase, the ledger first), with signals held until the order is recorded and guarded; the next
site only when the purchase provably did not happen. wait_and_settle: poll_for_code (at once, every interval, and
once more at the deadline) -> a code: confirmed (FINISH); an SMS in which the rule finds no code: held_for_the_agent
(neither confirmed nor cancelled: the agent reads it). The deadline, an error or a signal: settled_failure ->
settle(CANCEL), which takes the order first (ledger.take: one owner, settled rows final) and reads the order once
more when the platform refuses, so that every order ends received, cancelled, closed, cancelled later (the
platform's early-cancel window: cancel_after) or reported with what to check (exit 6), within seconds of the deadline.
"""
from __future__ import annotations

import json
import sqlite3

from .config import host_of
from .ledger import (AFTER_AN_SMS, CANCEL, DONE_STATE, FINISH, HELD_FOR_THE_AGENT, INTENT_STATE, ORDER_FIELDS,
                     PENDING_ACTION, REFUND, costs_its_price, describe_order, iso_time, public_order, reference)
from .names import list_products, load_countries_for, number_fields, region_of
from .offers import charged_within_limits, what_to_buy
from .output import Failure, Interrupted, Progress, as_failure, excerpt
from .platform import Op, declared, protocol_of
from .polling import FINAL_POLL_CAP_S, poll_for_code
from .shapes import SmsState, seen_after

SETTLE_GRACE_S = 8.0  # after the deadline (or a signal or an error): the final poll, the cancel and what it needs
SETTLE_WAIT_MS = 300  # how long the ending run's ledger statements wait for a ledger another process holds
EARLY_CANCEL_RETRY_S = 30.0  # after a refused early cancel, and no sooner than the protocol's window allows


def change_status(ctx, order, action):
    """Finish, cancel or refund an order at the site that sold it. The run takes the order first, as it is now, in
    one transaction (ledger.take: settled already -> nothing is sent; held by another live run -> open_order); the
    ledger is written before and after."""
    if not ctx.store.take(order, INTENT_STATE[action], takeover=getattr(ctx, "takeover", False)):
        return order
    ctx.api.call(action, {"order_id": order["order_id"]}, bases=[order["base_url"]], order=order)
    return ctx.store.update(order, state=DONE_STATE[action])


def settle(ctx, order, action=CANCEL, reason=""):
    """Finish, cancel or refund. When the platform refuses, read the order once more and settle it on what it says:
    a code (the cancel came too late: received), closed, or neither (cancel_failed, exit 6, with what to check)."""
    with ctx.guard.deferred():  # a signal waits until the order is settled or reported, the recheck included
        try:
            return change_status(ctx, order, action)
        except Failure as failure:
            if failure.kind == "open_order":  # another live run holds the order: nothing was sent, it is theirs
                raise
            refusal = failure
        state = recheck(ctx, order) if refusal.kind != "network" else None
        if state and state.texts and state.sms and not order.get("sms"):  # an SMS shows: paid, whatever comes next
            ctx.store.update(order, sms=state.sms)
        ended = refusal.kind in ("not_found", "order_closed")  # the platform says the order is over
        if state and state.closed or ended and (not state or action == FINISH and state.code):
            return closed(ctx, order, action, refusal.message)  # a confirm refused so, with the code in hand: done
        if state and state.code and action == CANCEL:
            return record_code(ctx, order, state, note=f"cancel refused: {refusal.message}")
        if state and state.new_texts and action == CANCEL:  # the SMS came, and the rule finds no code in it
            return held_for_the_agent(ctx, order, state, note=f"cancel refused: {refusal.message}")
        if refusal.kind == "early_cancel" and action == CANCEL:  # routine: cancelled once the platform allows it
            window = declared(order["base_url"]).early_cancel_s or 0.0
            ctx.store.update(order, settle_after=max(ctx.store.now() + EARLY_CANCEL_RETRY_S,
                                                     order["created_at"] + window))
        raise unsettled(order, action, refusal, state, reason)


def closed(ctx, order, action, why):
    """The platform no longer has the order open: a confirm is done (the code came); anything else costs nothing,
    unless an SMS had shown in the order (settle records it): then it counts as spent (costs_its_price)."""
    return ctx.store.update(order, state="finished" if action == FINISH else "closed", note=f"platform: {why}")


def recheck(ctx, order):
    """The order read once more after a refusal: what the platform says of it now (None if it cannot be asked)."""
    try:
        return fetch_sms(ctx, order, cap=FINAL_POLL_CAP_S)
    except Failure:
        return None


def unsettled(order, action, refusal, state, reason):
    if refusal.kind == "early_cancel" and action == CANCEL:
        return cancel_later(order, refusal, reason)
    verb = {CANCEL: "cancelled", FINISH: "confirmed", REFUND: "refunded"}[action]
    last = shown_answer(state) if state and (state.sms or state.said_received) else None
    said = f" Reading the order still gives: {last}." if last else " Reading the order shows no SMS." if state else \
        ""
    return Failure("cancel_failed" if action == CANCEL else refusal.kind,
                   f"{reason}order {order['order_id']} could not be {verb} ({refusal.message}).{said} It stays in the "
                   "ledger: run `cleanup` in a few minutes; if it keeps failing, look the order up on the website and, "
                   f"once it is settled there, run `cleanup --forget {reference(order)}`.",
                   attempts=refusal.attempts, cause=refusal.kind, **({"last_answer": last} if last else {}),
                   **public_order(order))


def cancel_later(order, refusal, reason):
    """A cancel the platform allows only later (EARLY_CANCEL_DENIED): the order stays `cancelling`, and `cleanup`
    (or the next buy) cancels it once allowed: kind early_cancel (exit 3), and a run that was ending keeps its own
    failure."""
    after = iso_time(order["settle_after"])
    return Failure("early_cancel", f"{reason}order {order['order_id']} cannot be cancelled yet ({refusal.message}): "
                   f"it stays open for now, costing nothing once cancelled. Run `cleanup` after {after} (the next "
                   f"`buy` also tries it); `check --id {order['order_id']}` shows whether an SMS came meanwhile.",
                   attempts=refusal.attempts, cancel_after=after, **public_order(order))


def shown_answer(state):
    """The order's last answer as JSON text a person can read (the timeout's and a refused cancel's last_answer)."""
    return excerpt(json.dumps(state.payload, ensure_ascii=False), 300)


def buy_number(ctx, what, args):
    """Apply rule 3, settle stale orders, buy, and record the order before anything else. Call it with signals
    deferred (see with_bought_number): a signal must not lose track of a paid order."""
    reservation, stale, warnings = ctx.store.reserve_purchase(what, what["site"], args.hold, args.replace,
                                                              ctx.config.test)
    try:
        replaced = [settled_stale(ctx, order, warnings) for order in stale]
        purchase, base = purchased(ctx, what, warnings)
    except Failure as failure:
        if failure.reason == "uncertain":  # recorded against the base URL the request went to
            ctx.store.update(reservation, state="unknown", note=failure.message,
                             base_url=getattr(failure, "base", None) or reservation["base_url"])
            failure.data.update(public_order(reservation))  # its attempt-N, for `cleanup --forget`
        else:
            ctx.store.drop(reservation)
        raise
    except BaseException as exc:  # not a designed failure: whether the platform sold a number is unknown
        ctx.store.update(reservation, state="unknown", note=f"{type(exc).__name__} during the purchase")
        raise
    order = {**reservation, **purchase, "base_url": base, "state": "waiting"}
    order["price"] = what["price"] if purchase["price"] is None and not purchase["price_unreadable"] else \
        purchase["price"]
    order.update(formatted_number(ctx, purchase["number"], what["country"], base))
    try:
        ctx.store.record(reservation, **{k: order[k] for k in ORDER_FIELDS if k not in ("country_id", "service_id",
                                                                                       "operator_id")},
                         state="waiting")
    except (sqlite3.Error, UnicodeError) as exc:  # bought but not recordable: cancel it now, intent held in memory
        raise unrecorded(ctx, order, exc) from None
    ctx.store.supersede(reservation)
    reservation["price_unreadable"] = purchase["price_unreadable"]  # in memory only: for charged_within_limits
    return reservation, replaced, warnings


def purchased(ctx, what, warnings):
    """The purchase -> (purchase, base URL). An answer read as a refusal that still names an order id and a number
    is taken as a purchase: misreading a success must not lose an order (an unused one is cancelled as any other)."""
    try:
        return ctx.api.call(Op.BUY, what, bases=[what["site"]])
    except Failure as failure:
        hidden = purchase_hidden_in(failure)
        if not hidden:
            raise
        warnings.append(f"the purchase was answered like a refusal ({failure.message}) yet named order "
                        f"{hidden['order_id']}: it is treated as bought, so it is cancelled if it goes unused.")
        return hidden, failure.base


def purchase_hidden_in(failure):
    """What a buy answer read as a refusal still names as bought (any protocol), or None: see purchased()."""
    from .smsonline_reader import purchase_in  # the tolerant reader: loaded only once a purchase has failed
    return purchase_in(failure.reply) if getattr(failure, "reply", None) else None


def formatted_number(ctx, number, country_id, base):
    """The number in every form a site's form may want; a failure here must never cost the record of the order."""
    try:
        return number_fields(number, region_of(ctx, country_id, base))
    except Exception:  # noqa: BLE001  (the purchase is recorded with the platform's text instead)
        return {"number": number, "dial_code": None, "national_number": None, "region": None}


def number_in_its_country(ctx, order, warnings):
    """A number given without its country code, of a country the cached list lacks: the platform's country list is
    fetched (one request, the order already recorded and guarded) and the number read again. If the country still
    cannot be known, its fields stay null and the line says why."""
    if order["dial_code"] is not None or str(order["number"]).lstrip().startswith("+"):
        return
    load_countries_for(ctx, order["country_id"], order["base_url"])
    fields = formatted_number(ctx, order["number"], order["country_id"], order["base_url"])
    if fields["dial_code"] is not None:
        ctx.store.update(order, **fields)
    elif region_of(ctx, order["country_id"], order["base_url"]) is None:
        warnings.append(f"the platform's country list does not say which country country {order['country_id']} "
                        "is, so the number is as the platform wrote it (dial_code, national_number and region null).")


def settled_stale(ctx, order, warnings):
    """An order left by a run that ended (or replaced): cancel it, or confirm it if it had received its code. Only a
    cancel that fails stops the purchase (rule 3); a confirm or refund that fails is said and left to `cleanup`."""
    try:
        settle(ctx, order, PENDING_ACTION[order["state"]], "before buying: ")
        if order["state"] == "received":  # the platform refused the cancel because the SMS came: nobody will use it
            settle(ctx, order, FINISH, "before buying: ")
    except Failure as failure:
        if failure.kind == "cancel_failed":
            raise  # rule 3; an early-cancel refusal only waits for `cleanup`, so it does not block this purchase
        warnings.append(failure.message)
    return {"order_id": order["order_id"], "order_status": order["state"]}


def unrecorded(ctx, order, exc):
    """A purchase the ledger cannot record: cancel it at once and print its id, whatever happens to the cancel."""
    where = f"the ledger in {ctx.config.state_dir} cannot record it ({exc})"
    try:
        settle(ctx, order, CANCEL)
    except Failure as failure:
        return Failure("cancel_failed", f"order {order['order_id']} (number {order['number']}) was bought but {where}, "
                       f"and its cancel failed ({failure.message}): cancel it on the website now; the ledger may "
                       f"show it as attempt-{order['local_id']}, to `cleanup --forget` once it is settled there.",
                       cause=failure.kind, **public_order(order))
    return Failure("config", f"order {order['order_id']} was {order['state']} at once because {where}; check that "
                   f"folder (disk full? read-only?). If the ledger later shows attempt-{order['local_id']} as "
                   "unknown, it is this order: `cleanup --forget` it.", **public_order(order))


NEXT_SITE_KINDS = ("network", "auth", "no_numbers", "balance", "api")  # refusals that prove nothing was bought


def bought_at_some_site(ctx, args):
    """Buy at the first site that sells -> (order, replaced, warnings). A site is left for the next only when the
    purchase provably did not happen there (unreachable, TLS blocked, key refused, no numbers, no balance, no test
    mode, limits in another currency), never after it may have been sent. Ids given on the command line are the
    first site's, so they go only to sites of its protocol; names are looked up in each site's own lists."""
    bases, attempts, failures = ctx.api.bases_in_order(), [], []
    ids_given = any(str(given).isascii() and str(given).isdigit() for given in (args.country, args.service))
    bases = [b for b in bases if not ids_given or protocol_of(b)[0] == protocol_of(bases[0])[0]]
    for base in bases:
        try:
            what = what_to_buy(ctx, args, base)  # a signal up to here stops the run before any money moves
            with ctx.guard.deferred():
                bought = buy_number(ctx, what, args)
                bought[0]["choice"] = what["choice"]  # in memory only: the line says why this operator
                return bought
        except Failure as failure:
            failure.attempts = attempts = attempts + [a for a in failure.attempts if a not in attempts]
            provably_not_bought = failure.reason in ("skip_site", "refused") or failure.kind in NEXT_SITE_KINDS and \
                failure.reason != "uncertain" and not purchase_hidden_in(failure)
            if not provably_not_bought:
                raise
            failures.append(failure)
            ctx.log.debug(f"{host_of(base)}: {failure.message}; the next site is tried.")
    raise most_telling(failures, attempts)


TELLING_ORDER = ("budget", "no_numbers", "balance", "usage", "auth", "api", "network")  # what a person acts on first


def most_telling(failures, attempts):
    """When no site sold a number: the failure that says most (a limit or empty stock before an unreachable site),
    naming every site tried."""
    failure = min(failures, key=lambda f: TELLING_ORDER.index(f.kind) if f.kind in TELLING_ORDER else 0)
    failure.attempts = attempts
    return failure


def with_bought_number(ctx, args, work):
    """Buy a number, then work(order, replaced, warnings) with the order guarded. Signals wait from before the
    purchase until the order is recorded, so there is no moment at which a signal leaves a paid order behind."""
    order = None
    try:
        order, replaced, warnings = bought_at_some_site(ctx, args)
        ctx.guard.checkpoint()  # a signal that came during the purchase is delivered here, and cancels the order
        charged_within_limits(ctx, order)
        number_in_its_country(ctx, order, warnings)
        return work(order, replaced, warnings)
    except BaseException as exc:
        if order is None:
            raise
        return settled_failure(ctx, order, args, exc)


def guarded(ctx, order, args, work):
    """work() with the order guarded: whatever stops it before a code is in hand cancels the order first."""
    try:
        return work()
    except BaseException as exc:
        return settled_failure(ctx, order, args, exc)


def settled_failure(ctx, order, args, exc):
    """Cancel the order if it still needs it, then raise what to report (cancel_failed, exit 6, if the cancel
    failed). If the platform refuses the cancel because the SMS had come, the run has its code: return it."""
    while True:  # a signal landing in this very handler restarts it; the guard raises only once per run
        try:
            with ctx.guard.deferred():
                failure = as_failure(exc)
                if order["state"] not in ("waiting", "cancelling") or failure.kind == "by_user":  # settled as asked
                    raise failure
                hard_stop = ctx.clock() + SETTLE_GRACE_S
                ctx.api.stop_at = min(ctx.api.stop_at or hard_stop, hard_stop)
                try:  # the run's own order: a ledger another process holds must not eat the time its cancel needs
                    with ctx.store.impatient(SETTLE_WAIT_MS):  # what cannot be written is kept, written at the end
                        settle(ctx, order, CANCEL, f"after {failure.kind}: ")
                except Failure as unsettled_failure:
                    if unsettled_failure.kind == "early_cancel":  # routine: the run's own failure, and when
                        failure.message += f" {unsettled_failure.message}"
                        failure.data.update(unsettled_failure.data)
                        raise failure from None
                    unsettled_failure.data = {**failure.data, **unsettled_failure.data}
                    raise unsettled_failure from None
                if order["state"] == "received":
                    return confirmed(ctx, order, args, facts_of(failure, order), warning=
                                     f"The run was ending ({failure.kind}) when the platform refused the cancel "
                                     "because the SMS had arrived: the code is here.")
                if order["state"] == "sms_without_code":
                    return without_code(order, facts_of(failure, order), [order["sms"]], warning=
                                        f"The run was ending ({failure.kind}) when the platform refused the cancel "
                                        "because an SMS had arrived: its text is here.")
                if order["state"] == "closed" and costs_its_price(order):  # its SMS came as the run was ending
                    failure.message += " An SMS came as the cancel was refused, and the platform has closed the " \
                                       "order: it counts as spent (its text is in `sms`)."
                    failure.data["sms"], failure.reason = order["sms"], AFTER_AN_SMS
                failure.data.update(public_order(order))
                raise failure
        except Interrupted as late:
            exc = late


def facts_of(failure, order):
    return {"elapsed_s": failure.data.get("elapsed_s"), "polls": failure.data.get("polls"), "sms": order.get("sms")}


def fetch_sms(ctx, order, code_regex=None, cap=None, seen=()):
    """Read the order once -> SmsState. For an order in the ledger, "not found" or "closed" is a state."""
    bases = [order["base_url"]] if order.get("base_url") else None  # an unrecorded order: any base may know it
    try:
        return ctx.api.call(Op.READ, {"order_id": order["order_id"]}, bases=bases, cap=cap, order=order,
                            code_regex=code_regex, seen=seen)[0]
    except Failure as failure:
        if failure.kind in ("not_found", "order_closed") and order.get("local_id"):
            return SmsState(closed=True, sms=None)
        raise


def wait_and_settle(ctx, order, args, on_code=None, give_up_s=None):
    """Poll for a code (with --next, one from an SMS not seen before); confirm it (FINISH) if asked, or, on the
    deadline, cancel (CANCEL) within seconds. An SMS in which the rule finds no code ends the wait at once: the
    order is held for the agent (status sms_without_code). on_code(order) runs as soon as the code is recorded.
    give_up_s: see polled."""
    seen = json.loads(order.get("seen") or "[]") if order["state"] in HELD_FOR_THE_AGENT else []
    if order["state"] == "waiting":  # a run waits on it now: if that run dies, it is abandoned at once (no hold)
        ctx.store.update(order, settle_after=min(order["settle_after"] or 0, ctx.store.now()))
    if seen:
        ask_for_another_sms(ctx, order)
    progress = Progress(order["number"], args.timeout, ctx.config.progress_every, ctx.config.quiet)
    try:
        outcome = polled(ctx, order, args, seen, progress, give_up_s)
    finally:
        progress.done()
    if outcome.asked:  # the user's `cancel --id`, `finish --id` or `cleanup --all` in another run
        from .users_word import honoured

        raise honoured(ctx, order, outcome.asked)
    facts = {"elapsed_s": round(outcome.elapsed_s, 2), "polls": outcome.polls, "sms": outcome.state.sms}
    if outcome.timed_out:
        raise timed_out(ctx, order, args, outcome, facts)
    if outcome.state.closed:
        if outcome.state.new_texts:  # an SMS came as the platform closed the order: the agent's to read, and paid
            held_for_the_agent(ctx, order, outcome.state, seen)
        raise closed_by_platform(ctx, order, facts)
    if not outcome.state.code:
        held_for_the_agent(ctx, order, outcome.state, seen)
        return without_code(order, {**facts, "sms": outcome.state.new_texts[0]}, outcome.state.new_texts)
    record_code(ctx, order, outcome.state, seen)
    if on_code:
        on_code(order)
    ctx.api.stop_at = max(outcome.deadline, ctx.clock()) + SETTLE_GRACE_S  # a confirm that hangs cannot hold the run
    return confirmed(ctx, order, args, facts)


def polled(ctx, order, args, seen, progress, give_up_s=None):
    """Poll until a code, a closed order or the deadline -> PollOutcome. give_up_s (receive with numbers left:
    choice.give_up_after, from the history): a number that got nothing at all by then is cancelled at once, so that
    the next one comes sooner (timed out); where the platform allows no cancel yet, it keeps its whole --timeout;
    a cancel refused because the SMS came gives the code."""
    def poll(seconds):
        return poll_for_code(lambda cap: fetch_sms(ctx, order, args.code_regex, cap, seen), seconds, args.interval,
                             ctx.clock, ctx.sleep, ctx.log, progress, asked=lambda: heard(ctx, order))
    first = poll(min(give_up_s or args.timeout, args.timeout))
    nothing_came = not (first.state.sms or first.state.said_received or first.state.texts)
    if first.asked or not (first.timed_out and give_up_s and nothing_came and order["state"] == "waiting"):
        return first
    try:
        settle(ctx, order, CANCEL, f"given up after {first.elapsed_s:.0f}s: ")
    except Failure as failure:
        if failure.kind != "early_cancel":
            raise
        ctx.log.notice("the platform allows no cancel yet, so this number keeps its whole --timeout.")
        rest = poll(max(0.0, args.timeout - first.elapsed_s))
        return rest._replace(polls=first.polls + rest.polls, elapsed_s=first.elapsed_s + rest.elapsed_s)
    if order["state"] in HELD_FOR_THE_AGENT:  # the cancel was refused because the SMS had come
        came = SmsState(code=order["code"], sms=order["sms"], new_texts=() if order["code"] else (order["sms"],))
        return first._replace(state=came, timed_out=False)
    return first


def heard(ctx, order):
    """What the run hears between polls: a signal (ever: see SignalGuard.never_polls_on), else the user's word."""
    ctx.guard.never_polls_on()
    return ctx.store.asked_of_me(order)


def ask_for_another_sms(ctx, order):
    """wait --next: where the protocol has it (ANOTHER_SMS), tell the platform another SMS is expected; elsewhere
    the site's resend is enough, and the next SMS shows up in the order's list. A platform that says the order is
    closed closes it here too; any other refusal leaves it as it was, and the line says so with its fields."""
    if not declared(order["base_url"]).has(Op.ANOTHER_SMS):
        return
    try:
        ctx.api.call(Op.ANOTHER_SMS, {"order_id": order["order_id"]}, bases=[order["base_url"]])
    except Failure as failure:
        if failure.kind in ("not_found", "order_closed"):
            raise closed_by_platform(ctx, order, {}) from None
        failure.message = f"the platform did not take the request for another SMS on order {order['order_id']} " \
                          f"({failure.message}); the order is as it was (order_status): try `wait --id " \
                          f"{order['order_id']} --next` again in a moment, or settle it with `finish` or `cancel`."
        failure.data.update(public_order(order))
        raise


def closed_by_platform(ctx, order, facts):
    """The platform says the order is over. Without a code, settled_failure still sends the cancel (a misread
    "closed" must not leave money held: the platform refuses it if the order really is closed, and the order is
    read again); with a code (--next), the order counts as used."""
    if order["state"] == "sms_without_code":  # nothing more can come; whether the SMS was used is the agent's word
        ctx.store.update(order, state="closed", note="the platform closed the order after an SMS without a code: "
                         "counted as spent")
        return Failure("order_closed", f"the platform says order {order['order_id']} is no longer open, after an SMS "
                       "came in which no code was found (its text is in `sms`: read it if you need its code). It "
                       "counts as spent; buy a new number only if the SMS holds none.", reason=AFTER_AN_SMS,
                       **{**facts, "sms": order["sms"]}, **public_order(order))
    if order["state"] == "received":
        ctx.store.update(order, state="finished", note="the platform closed the order after its code")
        return Failure("order_closed", f"the platform says order {order['order_id']} is no longer waiting (it had "
                       "received its code, so it counts as used); buy a new number.", **facts, **public_order(order))
    closes = ctx.store.closed_like(order, since=ctx.store.now() - 3600) + 1  # this one is closed by the cancel next
    advice = "buy a new number." if closes < 2 else repeated_closes(ctx, order, closes)
    ctx.api.stop_at = ctx.clock() + SETTLE_GRACE_S  # after the advice, so that the cancel keeps all its grace
    return Failure("order_closed", f"the platform says order {order['order_id']} is no longer waiting (cancelled, "
                   f"expired or unknown there; a cancel is sent to be sure, so nothing stays held); {advice}",
                   **facts, **public_order(order), closes_in_last_hour=closes)


def repeated_closes(ctx, order, closes):
    """What to do when the platform keeps closing orders for one country, service and operator: the next cheapest
    operator in stock, or another country; after three, a person decides."""
    try:
        listed = list_products(ctx, order["country_id"], order["service_id"], order["base_url"], cap=FINAL_POLL_CAP_S)
        others = [p for p in listed if p["id"] != order["operator_id"] and p.get("stock") != 0]
    except Failure:
        others = []
    instead = f"operator {others[0]['id']} ({others[0].get('price')}) or another country" if others else \
        "another country (`products`)"
    stop = " Stop now and ask the user before buying again." if closes >= 3 else \
        " After a third close, stop and ask the user."
    return f"the platform has closed {closes} orders for country {order['country_id']} / service " \
           f"{order['service_id']} / operator {order['operator_id']} in the last hour: buy with {instead}.{stop}"


def no_new_sms(args, outcome):
    """--next's deadline, said as it is: the order may show an SMS again that cannot be told from one seen before."""
    again = " (the order shows only SMS seen before: one sent again with the same text, and no id or time of its " \
        "own, cannot be told from them; the text is in `sms`)" if outcome.state.sms else ""
    return f"no new SMS within {args.timeout:g}s{again}"


def timed_out(ctx, order, args, outcome, facts):
    """The deadline's failure: the order is cancelled next (settled_failure), unless it already had a code."""
    detail = f" Last poll error: {outcome.last_error}" if outcome.last_error else ""
    if order["state"] == "sms_without_code":  # --next: the SMS already handed over stays the agent's to judge
        return Failure("timeout", f"{no_new_sms(args, outcome)}; order {order['order_id']} keeps the SMS "
                       f"it had (no code found in it): `finish --id {order['order_id']} --code CODE` once a code you "
                       f"read in it worked, `wait --id {order['order_id']} --next` again, or `cancel --id "
                       f"{order['order_id']}`.{detail}", status="timeout", **facts, **public_order(order))
    if order["state"] in ("cancelled", "closed"):  # given up early (polled): settled already
        return Failure("timeout", f"no SMS within {outcome.elapsed_s:.0f}s, well past when this operator's SMS "
                       "usually come, so the number was given up early and cancelled (order_status says where that "
                       f"stands).{detail}", status="timeout", given_up_early=True, **facts, **public_order(order))
    if order["state"] == "received":  # --next: the earlier code stays, and so does the money
        return Failure("timeout", f"{no_new_sms(args, outcome)}; order {order['order_id']} keeps its code "
                       f"{order['code']}: `finish --id {order['order_id']}` once a code worked, or press resend on "
                       f"the site and `wait --id {order['order_id']} --next` again.{detail}", status="timeout",
                       **facts, **public_order(order))
    ctx.api.stop_at = outcome.deadline + SETTLE_GRACE_S  # the cancel and all it needs, within seconds
    shown = {"last_answer": shown_answer(outcome.state)} if outcome.state.payload is not None else {}
    return Failure("timeout", f"no SMS with a code within {args.timeout:g}s, so the order is cancelled for a refund "
                   "(order_status says where that stands). "
                   f"Buy again (perhaps another country or operator).{detail}", status="timeout", **facts, **shown)


def record_code(ctx, order, state, seen=(), note=None):
    """The order has its code: received, with every SMS seen so far (for --next) and its hold restarted."""
    return ctx.store.update(order, state="received", code=state.code, sms=state.sms,
                            seen=json.dumps(seen_after(seen, state), ensure_ascii=False),
                            settle_after=ctx.store.now() + order["hold_s"], **({"note": note} if note else {}))


def held_for_the_agent(ctx, order, state, seen=(), note=None):
    """An SMS came in which the rule finds no code: the order is held as a received one is (its hold restarted), and
    the skill neither confirms nor cancels it; the agent reads the text. An order that had a code keeps it."""
    text = {"state": "received"} if order.get("code") else {"state": "sms_without_code", "sms": state.new_texts[0]}
    return ctx.store.update(order, **text, seen=json.dumps(seen_after(seen, state), ensure_ascii=False),
                            settle_after=ctx.store.now() + order["hold_s"], **({"note": note} if note else {}))


def without_code(order, facts, texts, warning=None):
    """The line that hands an SMS without a code to the agent: its text(s), newest first, and code null."""
    line = {"status": "sms_without_code", **public_order(order), **facts, "code": None, "texts": list(texts),
            "finished": False}
    return {**line, "warning": warning} if warning else line


def confirmed(ctx, order, args, facts, warning=None):
    """The received line; the order confirmed (FINISH) first if the command confirms (receive; wait --finish)."""
    if args.finish:
        try:
            settle(ctx, order, FINISH)
        except Failure as failure:  # the code is in hand; `cleanup` confirms later
            warning = " ".join(filter(None, [warning, f"Confirming the order failed ({failure.message}); `cleanup` "
                                                      "retries it."]))
    result = {"status": "received", **public_order(order), **facts, "finished": order["state"] == "finished"}
    return {**result, "warning": warning} if warning else result


def sole_waiting_order(ctx):
    waiting = ctx.store.orders(("waiting",))
    if len(waiting) == 1:
        return waiting[0]
    listed = "; ".join(describe_order(o) for o in waiting) or "none"
    raise Failure("usage", f"pass --id: {len(waiting)} orders are waiting for an SMS ({listed}).",
                  open_orders=[public_order(o) for o in waiting])


def recorded_order(ctx, order_id):
    """The ledger's order for --id, or None for a numeric id the ledger does not know."""
    order = ctx.store.order(order_id)
    if order and not order["order_id"]:
        raise Failure("usage", f"{order_id} is a purchase that got no answer, so it has no order id to act on: look "
                      f"for it on the website's orders page, then run `cleanup --forget {order_id}`.",
                      **public_order(order))
    if order is None and not (str(order_id).isascii() and str(order_id).isdigit()):
        raise Failure("usage", f"order id {order_id!r} is neither numeric nor in the ledger; see `orders --all`.")
    return order


def order_or_adopted(ctx, order_id):
    """The ledger's order, or a new record of one bought elsewhere, so that what is sent for it is crash-safe."""
    return recorded_order(ctx, order_id) or ctx.store.adopt(order_id, ctx.api.bases_in_order()[0])
