"""What to buy at one site, within the user's limits, before any money moves: the site's own names resolved, the
operator chosen (choice.py, on the delivery history), the ledger the purchase must be recorded in, the price limit
and the daily budgets; and, once bought, the price the purchase charged held to the same limits (a charge past them
is cancelled at once by the flow)."""
from __future__ import annotations

import os

from . import choice
from .config import host_of, limits_for
from .history import known_here
from .ledger import DAY_S
from .names import list_products, resolve
from .output import Failure
from .platform import declared


def choose_operator(ctx, base, country_id, service_id, max_price, args):
    """The offer to buy (or the one named) with stock and within max_price -> (operator_id, price, choice): ranked by
    choice.py on this site's delivery history for the country and service, --attempts' tried operators after the
    others. Offers in stock that are all above the user's price limit are `budget` (only the user can raise it);
    `no_numbers` means nothing is in stock at any price."""
    operator, products = args.operator, list_products(ctx, country_id, service_id, base)
    in_stock = [p for p in products if p.get("stock") != 0 and (operator is None or p["id"] == str(operator))]
    usable = [p for p in in_stock if max_price is None or p.get("price") is not None and p["price"] <= max_price]
    if usable:
        history = known_here(ctx, base, country_id, service_id)
        if operator is not None:
            return usable[0]["id"], usable[0].get("price"), choice.forced(operator, history.get(str(operator)))
        best = choice.for_the_run(usable, history, args, ctx.config.settings.get("SMSONLINE_PREFER"))
        return best.offer["id"], best.offer.get("price"), best.choice
    where = f"country {country_id} / service {service_id}" + (f" / operator {operator}" if operator else "")
    if not in_stock:
        raise Failure("no_numbers", f"no numbers in stock for {where}; try another operator or country (`products`), "
                      "or later.", products=products)
    raise over_the_price_limit(where, in_stock, max_price, products)


def over_the_price_limit(where, in_stock, max_price, products):
    """`budget`, with the cheapest offer in stock (its price and stock): only the user can raise the limit."""
    priced = [p for p in in_stock if p.get("price") is not None]
    cheapest = min(priced, key=lambda p: p["price"]) if priced else None
    offer = "the offers in stock give no price"
    if cheapest:
        stock = "stock unknown" if cheapest.get("stock") is None else f"{cheapest['stock']} numbers"
        offer = f"the cheapest offer in stock is {cheapest['price']:g} ({stock}, operator {cheapest['id']})"
    return Failure("budget", f"every offer for {where} is above the price limit {max_price:g}: {offer}. Tell the user; "
                   "only they can raise the limit (another country may be cheaper: `products`).", products=products,
                   max_price=max_price, **({"cheapest": cheapest} if cheapest else {}))


def what_to_buy(ctx, args, base):
    """At one site, in its own lists and limits: resolve names, pick the operator, check the budget -> what to buy
    there (and the expected price). Nothing is spent; a budget already used up, or a ledger moved by --state-dir, is
    refused before any request. --test purchases are held to the limits as any other: a platform may ignore test=1
    and charge them, and a site whose protocol has no test mode is not asked at all."""
    in_the_users_ledger(ctx.config)
    protocol = declared(base)
    if ctx.config.test and not protocol.test_mode:
        raise Failure("usage", f"--test: {host_of(base)} speaks {protocol.name}, which has no test mode, so a test "
                      "purchase there would be real: nothing was bought there.", reason="skip_site")
    limits = limits_for(ctx.config, base)
    budgeted = bool(limits.budgets)  # the sandbox too, over its own ledger: a refusal can be rehearsed
    if budgeted:
        within_budget(ctx, limits, None)
    country_id, service_id = resolve(ctx, "country", args.country, base), resolve(ctx, "service", args.service, base)
    if args.operator is None or limits.max_price is not None or budgeted:  # an explicit operator needs no products
        operator_id, price, chosen = choose_operator(ctx, base, country_id, service_id, limits.max_price, args)
    else:
        operator_id, price = args.operator, None
        chosen = choice.forced(operator_id, known_here(ctx, base, country_id, service_id).get(str(operator_id)))
    if budgeted:
        within_budget(ctx, limits, price, known=True)
    return {"site": base, "country": country_id, "service": service_id, "operator": str(operator_id),
            "max_price": limits.max_price, "test": ctx.config.test, "price": price, "choice": chosen}


def in_the_users_ledger(config):
    """A purchase is recorded in the ledger the user's settings name (SMSONLINE_STATE_DIR, else ~/.smsonline), where
    the money already spent and the open order of rule 3 are: --state-dir cannot hide them behind an empty ledger.
    The sandbox spends nothing, so its rehearsals may keep a ledger anywhere."""
    if config.sandbox or os.path.realpath(config.state_dir) == os.path.realpath(config.user_state_dir):
        return
    raise Failure("usage", f"a purchase is recorded only in the user's ledger, {config.user_state_dir}, where the "
                  "money spent and the open orders that the user's limits and the one-open-order rule count are; "
                  f"this run's ledger is {config.state_dir}. Buy without --state-dir (and without an "
                  "SMSONLINE_STATE_DIR, SMSONLINE_ENV_FILE or HOME of your own: only the user moves the ledger, in "
                  "the skill's .env), or rehearse with --sandbox.",
                  state_dir=config.state_dir, user_state_dir=config.user_state_dir)


def within_budget(ctx, limits, price, known=False):
    """Each daily budget that covers the site: what its orders (--test ones too) spent and hold over 24 hours, plus
    this price, stays within it. Before the price is known (known=False): no budget is already used up."""
    for budget in limits.budgets:
        spent, held = ctx.store.money(since=ctx.store.now() - DAY_S, counts=budget.counts)
        facts = {"spent": spent, "held": held, "budget": budget.amount, "price": price, "variable": budget.variable}
        if known and price is None:
            raise Failure("budget", "the platform gives no price for this operator, so the daily budget cannot be "
                          "kept; choose another operator (`products` lists prices).", **facts)
        if not known and spent + held >= budget.amount:
            raise Failure("budget", f"the daily budget is used up: {spent:g} spent and {held:g} held in the last 24 "
                          f"hours of a budget of {budget.amount:g}. Tell the user; only they can raise "
                          f"{budget.variable}.", **facts)
        if known and spent + held + price > budget.amount + 1e-9:
            raise Failure("budget", f"this number costs {price:g}, and {spent:g} spent plus {held:g} held in the last "
                          f"24 hours would pass the daily budget of {budget.amount:g}. Tell the user; only they can "
                          f"raise {budget.variable}.", **facts)


def charged_within_limits(ctx, order):
    """The price the purchase charged may differ from the list's: past the price limit or the daily budget, the order
    is cancelled at once (the Failure raised here does it)."""
    limits = limits_for(ctx.config, order["base_url"])
    price, limit = order["price"], limits.max_price
    if limit is None and not limits.budgets:
        return
    if order.get("price_unreadable"):
        raise Failure("budget", f"the purchase gave a price for order {order['order_id']} that cannot be read, so the "
                      "user's price limit or budget cannot be kept: it is cancelled. Try another operator.")
    if price is None:
        return
    if limit is not None and price > limit + 1e-9:
        raise Failure("budget", f"the platform charged {price:g} for order {order['order_id']}, above the price limit "
                      f"{limit:g}: it is cancelled. Tell the user; only they can raise the limit.", price=price,
                      max_price=limit)
    for budget in limits.budgets:
        spent, held = ctx.store.money(since=ctx.store.now() - DAY_S, counts=budget.counts)  # this order is held
        if spent + held > budget.amount + 1e-9:
            raise Failure("budget", f"the platform charged {price:g} for order {order['order_id']}, which takes the "
                          f"last 24 hours to {spent + held:g} of a daily budget of {budget.amount:g}: it is cancelled. "
                          f"Tell the user; only they can raise {budget.variable}.", spent=spent, held=held,
                          budget=budget.amount, price=price)
