"""The poll loop, on an injected clock: the order read at once, every interval and once more at the deadline, until
a code, an SMS without one, a closed order, the deadline or the user's word from another run. It knows no order and
no protocol: `fetch` reads the order, `asked` looks for the user's request."""
from __future__ import annotations

import collections

from .ledger import ASK_EVERY_S
from .output import Failure, Progress, excerpt
from .shapes import SmsState

FINAL_POLL_CAP_S = 3.0  # the poll at the deadline
JUST_POLLED_S = 0.5  # an answer this recent makes the poll at the deadline needless

PollOutcome = collections.namedtuple("PollOutcome", "state polls elapsed_s timed_out last_error deadline asked",
                                     defaults=(None,))


def poll_for_code(fetch, timeout, interval, clock, sleep, log, progress=None, asked=lambda: None):
    """Poll at once, then every interval, then once more at the deadline (unless an answer just came), until a code
    or a closed order (monotonic clock), or until asked() says what the user's command asks (looked at before and
    after each poll, and at least every ASK_EVERY_S: the user's word, asked while a poll was out, comes before what
    the poll brought). Each poll is capped so that none runs past the deadline."""
    start = clock()
    deadline, next_poll, polls, last, last_error, answered_at, warned = start + timeout, start, 0, SmsState(), None, \
        None, False
    shown_text = None
    progress = progress or Progress(None, timeout, quiet=True)
    while True:
        now, request = clock(), asked()
        if request:
            return PollOutcome(last, polls, now - start, False, last_error, deadline, request)
        progress.update(now - start, polls)
        at_deadline = now >= deadline
        if at_deadline and answered_at is not None and now - answered_at < JUST_POLLED_S:
            return PollOutcome(last, polls, now - start, True, last_error, deadline)
        if not at_deadline and now < next_poll:
            sleep(min(next_poll, deadline, now + progress.due_in(now - start), now + ASK_EVERY_S) - now)
            continue
        polls += 1
        try:
            last = fetch(FINAL_POLL_CAP_S if at_deadline else max(0.2, deadline - now))
        except Failure as failure:
            if failure.kind not in ("network", "api"):
                raise
            last_error = failure.message
            log.debug(f"poll {polls} failed, will poll again: {failure.message}")
        else:
            answered_at, request = clock(), asked()
            if request:
                return PollOutcome(last, polls, answered_at - start, False, None, deadline, request)
            if last.code or last.closed or last.new_texts:  # a new SMS without a code ends the wait too
                return PollOutcome(last, polls, answered_at - start, False, None, deadline)
            if last.said_received and not warned:
                warned = True
                log.notice("the platform says the SMS was received, but no text or code could be read in its answer; "
                           "polling goes on (-v shows it).")
                log.debug(f"the order's answer: {excerpt(last.payload, 2000)}")
            if last.sms and last.sms != shown_text:  # seen before, or no SMS text: shown with -v
                shown_text = last.sms
                log.debug(f"a text seen before or not an SMS; polling goes on: {excerpt(last.sms, 500)}")
        if at_deadline:
            return PollOutcome(last, polls, clock() - start, True, last_error, deadline, asked())
        while next_poll <= clock():
            next_poll += interval
