"""The user's word wins over the one-owner rule: `cancel --id`, `finish --id`, `cleanup --all` and `buy --replace`
reach an order that a live run of the skill holds (a `wait`, or `receive` polling or at its prompt).

The command asks: a request row in the ledger, which the holder reads at each poll and at least every ASK_EVERY_S
while it waits or asks for its key. The holder settles the order as asked, marks the request answered, and ends with
its own line (kind `by_user`, exit 8); the command waits for that and reports what became of the order. A holder
that has not seen the request within ASK_PATIENCE_S (stopped, stuck in a slow request) is overruled: in one
transaction, while the request is still unseen and the holder is not settling the order itself, the command takes
the order and settles it itself; the holder, which no longer holds it, sends nothing more and ends `by_user`. A
holder that is settling the order (cancelling at its deadline, confirming a code) is never overruled: it finishes,
and the command reports what became of the order. One status change on the platform, never two.
"""
from __future__ import annotations

from . import flows
from .ledger import (ASK_EVERY_S, CANCEL, DONE_STATE, FINISH, HELD_FOR_THE_AGENT, OVERRULED, SETTLED_STATES,
                     pid_alive, public_order, run_gone, runs_this_skill)
from .output import Failure

ASK_PATIENCE_S = ASK_EVERY_S + 3.0  # a holder that has not seen the request by then is overruled
ANSWER_PATIENCE_S = flows.SETTLE_GRACE_S + 4.0  # a holder that saw it settles within its grace, and a little more
LOOK_EVERY_S = 0.1  # how often the asking command reads the ledger for the answer
VERB = {CANCEL: "cancel", FINISH: "confirm"}
# what a live run of the skill holds and reads requests for: an order it waits on, one at its prompt, and one whose
# cancel the platform allowed only later while the run goes on polling it (receive's early give-up)
ASKED_OF_THE_HOLDER = ("waiting", "cancelling", *HELD_FOR_THE_AGENT)


def settled(ctx, order, action, reason=""):
    """settle() for the user's explicit command. An order held by a live run of the skill is asked of that run, and
    the command waits for the outcome; one held by a process that is no run of the skill (a reused pid) is taken."""
    ctx.takeover = True
    try:
        return flows.settle(ctx, order, action, reason)
    except Failure as failure:
        if failure.reason != "held" or order["state"] not in ASKED_OF_THE_HOLDER or \
                not runs_this_skill(order["pid"]):
            raise  # a run that is settling it already is left to finish (its line says what it did)
    return asked_of_its_holder(ctx, order, action, reason)


def asked_of_its_holder(ctx, order, action, reason=""):
    holder = order["pid"]
    ctx.store.ask(order, action)
    ctx.log.notice(f"order {order['order_id']} is held by another run of the skill (process {holder}): asking it to "
                   f"{VERB[action]} the order …")
    outcome = outcome_of_the_request(ctx, order, holder)
    if outcome in ("gone", "overruled"):  # nobody else will send anything for it: this run settles it
        ctx.store.withdraw(order)
        ctx.log.notice(f"process {holder} did not answer in time: this run settles order {order['order_id']} "
                       "itself." if outcome == "overruled" else
                       f"process {holder} ended without answering: this run settles order {order['order_id']}.")
        return flows.settle(ctx, order, action, reason)
    if outcome == "late":
        raise Failure("open_order", f"process {holder} is settling order {order['order_id']} right now (a slow "
                      f"platform); nothing was sent by this run: see `orders` in a minute.", **public_order(order))
    failure = (ctx.store.request(order) or {}).get("outcome")
    ctx.store.withdraw(order)
    if failure and order["state"] not in (DONE_STATE[action], "received", "closed"):
        after = {"cancel_after": failure["cancel_after"]} if failure.get("cancel_after") else {}
        raise Failure(failure["kind"], f"{reason}the run that held order {order['order_id']} tried: "
                      f"{failure['message']}", cause=failure.get("cause"), **after, **public_order(order))
    ctx.log.notice(f"process {holder} answered: order {order['order_id']} is {order['state']}.")
    return order


def outcome_of_the_request(ctx, order, holder):
    """Wait for the holder -> "answered" (the order's row says what became of it), "gone" (the holder ended without
    answering), "overruled" (it did not see the request in time: this run holds the order now), or "late" (it saw
    the request but has not answered within ANSWER_PATIENCE_S: it is settling the order, slowly)."""
    start = ctx.clock()
    while True:
        request = ctx.store.request(order)
        order.update(ctx.store.attempt(order["local_id"]))
        if request is None or request["answered_at"] or order["state"] in SETTLED_STATES:
            return "answered"
        if not pid_alive(holder):
            return "gone"
        waited = ctx.clock() - start
        if not request["seen_at"] and waited >= ASK_PATIENCE_S and ctx.store.overrule(order, holder):
            return "overruled"
        if waited >= ASK_PATIENCE_S + ANSWER_PATIENCE_S:
            return "late"
        ctx.sleep(LOOK_EVERY_S)


def honoured(ctx, order, asked):
    """In the holder, asked by the user's command: settle the order as asked (or, overruled, send nothing), answer
    the request -> the Failure (by_user, exit 8) that ends this run with what became of the order."""
    if asked == OVERRULED:
        order.update(ctx.store.attempt(order["local_id"]))
        return by_user(order, f"the user's command took order {order['order_id']} over (this run did not answer in "
                              f"time), and it is {order['state']} now; this run sends nothing more.")
    problem = None
    with ctx.guard.deferred():  # a signal now waits for the settlement, as in every settlement
        ctx.api.stop_at = ctx.clock() + flows.SETTLE_GRACE_S
        try:
            if asked == FINISH:
                require_code(ctx, order)
            flows.settle(ctx, order, asked, "at the user's request: ")
        except Failure as failure:
            problem = failure
        ctx.store.answered(order, problem and {"kind": problem.kind, "message": problem.message, "cause": problem.cause,
                                               "cancel_after": problem.data.get("cancel_after")})
    said = f" ({problem.message})" if problem else ""
    return by_user(order, f"the user asked another run to {VERB[asked]} order {order['order_id']}: it is "
                          f"{order['state']} now{said}; this run stops here.")


def require_code(ctx, order):
    """A confirm the user asked for needs the code: the `finish` command read it into the row, or there is none."""
    if not order.get("code"):
        row = ctx.store.attempt(order["local_id"])
        order.update(code=row["code"], sms=row["sms"])
    if not order.get("code"):
        raise Failure("usage", f"order {order['order_id']} has no code, and an order is never confirmed without one.")


def by_user(order, message):
    return Failure("by_user", message, status="by_user", **public_order(order))


def holders_let_go(ctx):
    """buy --replace: the open orders without a code that live runs hold are cancelled before the purchase as
    `cancel --id` cancels them (a run of the skill is asked) -> [{"order_id", "order_status"}] for `replaced`."""
    replaced = []
    for order in ctx.store.orders(("waiting", "cancelling")):
        if run_gone(order):
            continue  # the purchase settles it (ledger.Store.disposition)
        try:
            settled(ctx, order, CANCEL, "before buying: ")
        except Failure as failure:
            if failure.kind != "early_cancel":  # rule 3; a cancel allowed only later waits for `cleanup`
                raise
        replaced.append({"order_id": order["order_id"], "order_status": order["state"]})
    return replaced

