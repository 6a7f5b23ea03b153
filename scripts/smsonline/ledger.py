"""The ledger: every order and purchase attempt in SQLite in the state dir, shared safely by concurrent processes.

An order's state is written before each request that changes it (the intent) and after (the result), so a run that
dies at any point leaves enough behind for `cleanup` or the next `buy` to finish its work.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time

from .output import REDACT, Failure, to_stderr
from .platform import Op

CANCEL, FINISH, REFUND = Op.CANCEL, Op.FINISH, Op.REFUND  # the actions that settle an order
DONE_STATE = {CANCEL: "cancelled", FINISH: "finished", REFUND: "refunded"}
INTENT_STATE = {CANCEL: "cancelling", FINISH: "finishing", REFUND: "refunding"}
# sms_without_code: an SMS came in which the code rule found no code; the order is held for the agent's reading as a
# received one is, and once its hold is over it is cancelled (never confirmed without a code: the platform refuses
# the cancel if the SMS counts as used)
PENDING_ACTION = {"waiting": CANCEL, "cancelling": CANCEL, "received": FINISH, "finishing": FINISH,
                  "refunding": REFUND, "sms_without_code": CANCEL}
HELD_FOR_THE_AGENT = ("received", "sms_without_code")  # an SMS came: the agent decides within the hold
NO_CODE_STATES = ("buying", "waiting", "cancelling")  # rule 3: while one of these is open, nothing else is bought
OPEN_STATES = ("buying", "waiting", "received", "sms_without_code", "cancelling", "finishing", "refunding", "unknown")
SETTLED_STATES = ("finished", "cancelled", "refunded", "closed", "forgotten")
SPENT_STATES = ("received", "finishing", "finished")
AFTER_AN_SMS = "after_an_sms"  # why an order is closed: the platform closed it once its SMS had come (it is paid)
HELD_STATES = ("buying", "waiting", "sms_without_code", "cancelling", "refunding", "unknown")
FACT_COLUMNS = ("code", "sms", "seen", "code_from", "sms_at")  # what an order learned: kept even once it is settled
FREE_TEXT_COLUMNS = ("note", "sms", "seen")  # what a platform may echo a key in: redacted before it is written
ORDER_LIFETIME_S = 20 * 60  # how long the platform is assumed to keep an unanswered purchase open
DAY_S = 24 * 3600  # the daily budget's window
FAILED_BASE_TTL_S = 600
LOCK_WAIT_S = 3
LOOK_WAIT_MS = 50  # a look for the user's request: the next look comes within a second
ASK_EVERY_S = 1.0  # the run holding an order looks for the user's request at least this often while it waits
OVERRULED = "overruled"  # what a holder is told when the user's command took its order (it did not answer in time)
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT, base_url TEXT NOT NULL,
    sandbox INTEGER NOT NULL DEFAULT 0, test INTEGER NOT NULL DEFAULT 0,
    country_id TEXT, service_id TEXT, operator_id TEXT, number TEXT, price REAL,
    state TEXT NOT NULL, code TEXT, sms TEXT, note TEXT, pid INTEGER, hold_s REAL NOT NULL DEFAULT 600,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS orders_state ON orders (state);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    local_id INTEGER PRIMARY KEY, action TEXT NOT NULL, asked_by INTEGER, asked_at REAL NOT NULL, seen_at REAL,
    answered_at REAL, outcome TEXT)
"""
# columns added since the first schema; code_from: who read the code when the rule did not ("agent": `finish
# --code`; "person": Enter at the prompt); sms_at: when the ledger first learned of an SMS (the delivery history)
ADDED_COLUMNS = ("dial_code TEXT", "national_number TEXT", "region TEXT", "seen TEXT", "settle_after REAL",
                 "code_from TEXT", "sms_at REAL")
SCHEMA_VERSION = 4  # 3: the requests table (the user's command asks the run that holds an order); 4: the columns
ORDER_FIELDS = ("order_id", "number", "dial_code", "national_number", "region", "price", "country_id", "service_id",
                "operator_id", "base_url")


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def runs_this_skill(pid):
    """Whether a live process is a run of this skill (its command line names the script): `cleanup --all` takes
    over only a pid the system has given to something else. Unknown counts as yes: a live run always wins."""
    try:
        with open(f"/proc/{int(pid)}/cmdline", "rb") as handle:
            return b"smsonline_receive_sms" in handle.read()
    except OSError:
        pass
    import subprocess  # no /proc (macOS): ask ps, only for `cleanup --all`

    try:
        shown = subprocess.run(["ps", "-p", str(int(pid)), "-o", "command="], capture_output=True, text=True,
                               timeout=2).stdout
    except (OSError, subprocess.SubprocessError, ValueError):
        return True
    return "smsonline_receive_sms" in shown or not shown.strip() and pid_alive(pid)


class Store:
    """The ledger of orders plus small cached values."""

    def __init__(self, state_dir, sandbox=False, now=time.time, probe=True):
        in_memory = os.fspath(state_dir) == ":memory:"  # a ledger SQLite cannot read: `cancel --id` still works
        state_dir = os.fspath(state_dir) if in_memory else os.path.abspath(os.fspath(state_dir))
        try:
            if not in_memory:
                make_private_folders(state_dir)
            # a lock held longer than this is a stuck process: the run goes on (writes are kept in memory, see update)
            self.db = sqlite3.connect(":memory:" if in_memory else os.path.join(state_dir, "ledger.sqlite3"),
                                      timeout=LOCK_WAIT_S, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.migrate()
            if probe:
                self.probe_write()
        except OSError as exc:
            raise Failure("config", f"the state dir {state_dir} is not usable ({exc}): make it a writable folder with "
                                    "free space (or, for a rehearsal, use --sandbox).") from None
        except sqlite3.Error as exc:
            if "locked" in str(exc):  # another run holds it past LOCK_WAIT_S: nothing is wrong with the file
                raise Failure("open_order", f"the ledger in {state_dir} is busy (another run holds it): nothing was "
                              "sent; try again in a moment.") from None
            raise unreadable_ledger(state_dir, exc) from None
        self.sandbox, self.now, self.write_failures, self.unwritten = int(sandbox), now, [], {}
        self._failed_bases = None

    def migrate(self):
        """The schema as this version needs it, decided from the table's actual columns (a ledger rebuilt with
        SQLite's `.dump` or `iterdump` has lost its user_version, not its columns)."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self.transaction():
            for statement in SCHEMA.split(";"):  # CREATE … IF NOT EXISTS: harmless on a ledger that has them
                self.db.execute(statement)
            present = {row["name"] for row in self.db.execute("PRAGMA table_info(orders)")}
            missing = [column for column in ADDED_COLUMNS if column.split()[0] not in present]
            for column in missing:
                self.db.execute(f"ALTER TABLE orders ADD COLUMN {column}")
            if "settle_after REAL" in missing:
                self.db.execute("UPDATE orders SET settle_after = created_at + hold_s")
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def probe_write(self):
        """A write that is rolled back: a read-only or full state dir fails here, before any request."""
        with contextlib.suppress(_Rollback), self.transaction():
            self.db.execute("INSERT OR REPLACE INTO kv (key, value, stored_at) VALUES ('write-probe', '', 0)")
            raise _Rollback

    @contextlib.contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # orders
    def order(self, order_id):
        """The row for an order id (an open one first: a platform may reuse ids), or for `attempt-N` attempt N."""
        text, attempt = str(order_id), re.fullmatch(r"attempt-([0-9]{1,15})", str(order_id))
        if attempt:
            row = self.db.execute("SELECT * FROM orders WHERE local_id = ? AND sandbox = ?",
                                  (int(attempt.group(1)), self.sandbox))
        else:
            row = self.db.execute(f"SELECT * FROM orders WHERE order_id = ? AND sandbox = ? ORDER BY state IN "
                                  f"({','.join('?' * len(OPEN_STATES))}) DESC, local_id DESC",
                                  (text, self.sandbox, *OPEN_STATES))
        row = row.fetchone()
        return dict(row) if row else None

    def orders(self, states=None):
        query, params = "SELECT * FROM orders WHERE sandbox = ?", [self.sandbox]
        if states:
            query += f" AND state IN ({','.join('?' * len(states))})"
            params += list(states)
        return [dict(row) for row in self.db.execute(query + " ORDER BY local_id", params)]

    def record(self, order, **fields):
        """Write fields of one order (text redacted: a platform may echo the key in an error); raises on failure."""
        if (fields.get("code") or fields.get("sms")) and not order.get("sms_at"):
            fields.setdefault("sms_at", self.now())  # the first SMS: its time is the delivery history's
        fields = {name: REDACT.fields(value, structured=name not in FREE_TEXT_COLUMNS)
                  for name, value in fields.items()}  # ids, numbers, prices, times: masked only if they hold a key
        fields["updated_at"] = self.now()
        sets = ", ".join(f"{name} = ?" for name in fields)
        final = f" AND state NOT IN ({','.join('?' * len(SETTLED_STATES))})" if "state" in fields else ""
        changed = self.db.execute(f"UPDATE orders SET {sets} WHERE local_id = ?{final}",
                                  (*fields.values(), order["local_id"], *(SETTLED_STATES if final else ()))).rowcount
        if changed or not final:
            order.update(fields)
            return order
        # settled meanwhile (by another run, or this one's confirm went through first): a settled row never moves
        # back, but what it learned (the code, the SMS) is kept; the caller sees the row as it is
        facts = {name: value for name, value in fields.items() if name in FACT_COLUMNS and value is not None}
        if facts:
            sets = ", ".join(f"{name} = ?" for name in facts)
            self.db.execute(f"UPDATE orders SET {sets} WHERE local_id = ?", (*facts.values(), order["local_id"]))
        order.update(self.attempt(order["local_id"]))
        return order

    def take(self, order, intent, takeover=False):
        """Before a status is sent: the order as it is now, taken by this run with its intent written, in one
        transaction -> True; False when it is settled already (nothing to send). Another live run that holds it
        wins, unless takeover (the user's command) and the pid is no run of this skill (the system reused it)."""
        try:
            with self.transaction():
                now = self.attempt(order["local_id"])
                if now["state"] in SETTLED_STATES:
                    order.update(now)
                    return False
                if not run_gone(now) and not (takeover and not runs_this_skill(now["pid"])):
                    order.update(now)
                    raise held_elsewhere(now)
                self.record(order, pid=os.getpid(), state=intent)
        except (sqlite3.Error, UnicodeError) as exc:
            if "locked" in str(exc) and intent != "cancelling":  # another run holds the ledger: it may be settling
                raise Failure("open_order", f"the ledger is busy (another run holds it), so order "
                              f"{order['order_id']} could not be taken: nothing was sent; try again in a moment.",
                              **public_order(order)) from None
            # a ledger that cannot be written: a cancel is sent all the same, at once (the ledger has had its wait)
            self.kept_unwritten(order, {"state": intent}, exc)
        return True

    def update(self, order, **fields):
        """record(), except that a ledger that cannot be written (disk full) keeps the change in memory and says so:
        the request the change belongs to is sent all the same."""
        try:
            return self.record(order, **fields)
        except (sqlite3.Error, UnicodeError) as exc:
            return self.kept_unwritten(order, fields, exc)

    def kept_unwritten(self, order, fields, exc):
        """A change the ledger could not take: kept in memory, written before the run ends if it can be."""
        order.update(fields)
        self.write_failures.append(str(exc))
        self.unwritten.setdefault(order["local_id"], (order, {}))[1].update(fields)
        to_stderr(f"the ledger could not record order {order.get('order_id')} as {order.get('state')} ({exc})")
        return order

    def write_what_is_unwritten(self, patience_s=10.0, sleep=time.sleep):
        """Before the run ends: the changes the ledger could not take (busy, full) written after all, retried for a
        while. A received code that is not recorded could be cancelled later by a `cleanup` that never saw it."""
        deadline = time.monotonic() + patience_s
        while self.unwritten:
            local_id, (order, fields) = next(iter(self.unwritten.items()))
            try:
                self.record(order, **fields)
                del self.unwritten[local_id]
            except (sqlite3.Error, UnicodeError) as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:  # busy passes; a full disk does not
                    return False
                sleep(0.2)
        self.write_failures.clear()
        return True

    def reserve_purchase(self, what, base_url, hold_s, replace, test):
        """Atomically apply rule 3 and record the attempt (`buying`, with what is bought) -> (reservation, orders to
        settle first, warnings); raises open_order when an order or an unanswered purchase blocks it."""
        now, me = self.now(), os.getpid()
        self.mark_abandoned_purchases()
        with self.transaction():
            blockers, settle, warnings = [], [], []
            for order in self.orders(OPEN_STATES):
                verdict = self.disposition(order, now, replace)
                if verdict == "block":
                    blockers.append(order)
                elif verdict == "warn":
                    warnings.append(f"an earlier purchase got no answer ({describe_order(order, now)}): if the "
                                    f"website lists it, cancel it there; then run `cleanup --forget "
                                    f"{reference(order)}`.")
                elif verdict == "settle":
                    settle.append(self.update(order, pid=me, state="cancelling" if order["state"] == "waiting"
                                              else order["state"]))
            if blockers:
                raise open_order_failure(blockers, now)
            cursor = self.db.execute(
                "INSERT INTO orders (base_url, sandbox, test, country_id, service_id, operator_id, price, state, pid, "
                "hold_s, settle_after, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'buying', ?, ?, ?, ?, ?)",
                (base_url, self.sandbox, int(test), what["country"], what["service"], str(what["operator"]),
                 what.get("price"), me, hold_s, now + hold_s, now, now))
        return self.attempt(cursor.lastrowid), settle, warnings

    def disposition(self, order, now, replace):
        """What a new purchase does about an open order: block, settle it first, warn, or nothing."""
        live, state = not run_gone(order), order["state"]
        if state == "buying":
            return "block"
        if state == "unknown":
            return "block" if now < order["created_at"] + ORDER_LIFETIME_S else "warn"
        if state == "waiting" and not live and (replace or now > order["settle_after"]):
            return "settle"  # a live run's order was asked of it first (users_word.holders_let_go)
        if live or state == "waiting":
            return "block" if state in NO_CODE_STATES else None
        return "settle" if state not in HELD_FOR_THE_AGENT or now > order["settle_after"] else None

    def mark_abandoned_purchases(self):
        """A `buying` row whose process is gone (or is this one: an earlier run in it) becomes `unknown`: the platform
        may have sold the number."""
        with self.transaction():
            for order in self.orders(("buying",)):
                if abandoned(order):
                    self.update(order, state="unknown", note="the buying process ended before an answer")

    def supersede(self, order):
        """Other open rows with this order's id at the same base URL: the site reused the id, so they are over."""
        for other in self.orders(OPEN_STATES):
            if (other["order_id"], other["base_url"]) == (order["order_id"], order["base_url"]) and \
                    other["local_id"] != order["local_id"]:
                self.update(other, state="closed", note=f"the platform reused order id {order['order_id']}")

    def attempt(self, local_id):
        return dict(self.db.execute("SELECT * FROM orders WHERE local_id = ?", (local_id,)).fetchone())

    def adopt(self, order_id, base_url, hold_s=600):
        """Record an order bought elsewhere, so that what is sent for it is crash-safe too."""
        now = self.now()
        cursor = self.db.execute(
            "INSERT INTO orders (order_id, base_url, sandbox, state, pid, hold_s, settle_after, created_at, updated_at)"
            " VALUES (?, ?, ?, 'waiting', ?, ?, ?, ?, ?)",
            (str(order_id), base_url, self.sandbox, os.getpid(), hold_s, now + hold_s, now, now))
        return self.attempt(cursor.lastrowid)

    def closed_like(self, order, since):
        """How many orders of this one's site, country, service and operator the platform closed since a time."""
        return self.db.execute(
            "SELECT COUNT(*) FROM orders WHERE state = 'closed' AND base_url = ? AND country_id = ? AND service_id = ? "
            "AND operator_id = ? AND created_at >= ? AND local_id != ?",
            (order["base_url"], order["country_id"], order["service_id"], order["operator_id"], since,
             order["local_id"])).fetchone()[0]

    # the user's word: a command asks the run that holds an order to settle it (see users_word.py)
    def ask(self, order, action):
        """Ask the holder of an order to settle it (action: CANCEL or FINISH); replaces an earlier request."""
        self.db.execute("INSERT OR REPLACE INTO requests (local_id, action, asked_by, asked_at) VALUES (?, ?, ?, ?)",
                        (order["local_id"], action.value, os.getpid(), self.now()))

    def request(self, order):
        """The request standing for an order (a dict), or None."""
        row = self.db.execute("SELECT * FROM requests WHERE local_id = ?", (order["local_id"],)).fetchone()
        if row is None:
            return None
        return {**dict(row), "action": Op(row["action"]), "outcome": json.loads(row["outcome"] or "null")}

    def asked_of_me(self, order):
        """For the run holding an order, at each poll and while its prompt waits: the action the user's command
        asks for (a request not yet answered, marked seen now), OVERRULED when a command took the order because this
        run did not see the request in time, else None. A ledger busy asks nothing (until the next look), and at
        once: a look never waits for the ledger, so that a ledger held by another process cannot eat the time the
        run's cancel needs."""
        me = os.getpid()
        try:
            with self.impatient():
                return self.request_for_me(order, me)
        except (sqlite3.Error, ValueError):
            return None

    @contextlib.contextmanager
    def impatient(self, wait_ms=LOOK_WAIT_MS):
        """The ledger's statements in this block wait wait_ms for a busy ledger, not LOCK_WAIT_S."""
        self.db.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            yield
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {LOCK_WAIT_S * 1000}")

    def request_for_me(self, order, me):
        """The request standing for this run's order (asked_of_me, without its patience)."""
        row = self.db.execute("SELECT o.pid, r.action, r.answered_at FROM orders o LEFT JOIN requests r ON "
                              "r.local_id = o.local_id WHERE o.local_id = ?", (order["local_id"],)).fetchone()
        if row is None or row["pid"] in (None, me) and (row["action"] is None or row["answered_at"] is not None):
            return None
        if row["pid"] != me:
            return OVERRULED
        seen = self.db.execute(  # one statement: a command that overrules this run at this moment wins
            "UPDATE requests SET seen_at = COALESCE(seen_at, ?) WHERE local_id = ? AND answered_at IS NULL AND "
            "EXISTS (SELECT 1 FROM orders WHERE local_id = ? AND pid = ?)",
            (self.now(), order["local_id"], order["local_id"], me)).rowcount
        return Op(row["action"]) if seen else None

    def answered(self, order, failure=None):
        """The holder has done what was asked: the order's row says what became of it, and `failure` (a dict: kind,
        message, cause, …) why it could not be settled, if it could not."""
        with contextlib.suppress(sqlite3.Error, UnicodeError):
            self.db.execute("UPDATE requests SET answered_at = ?, outcome = ? WHERE local_id = ?",
                            (self.now(), json.dumps(REDACT.fields(failure)) if failure else None, order["local_id"]))

    def overrule(self, order, holder):
        """A holder that did not see the request in time: in one transaction, while the request is still unseen and
        that run still holds the order unsettled, the request is withdrawn and this run holds the order instead ->
        True. False when the holder saw the request meanwhile, is settling the order itself (an intent state: it
        cancels at its deadline or confirms its code, and ends within its grace), or the row moved on."""
        with self.transaction():
            now, asked = self.attempt(order["local_id"]), self.request(order)
            settling = now["state"] in SETTLED_STATES or now["state"] in INTENT_STATE.values()
            if settling or now["pid"] != holder or asked is None or asked["seen_at"]:
                order.update(now)
                return False
            self.db.execute("DELETE FROM requests WHERE local_id = ?", (order["local_id"],))
            self.record(order, pid=os.getpid())
        return True

    def withdraw(self, order):
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("DELETE FROM requests WHERE local_id = ?", (order["local_id"],))

    def deliveries(self, base_url=None, country_id=None, service_id=None):
        """The delivery history: each order sold with a known operator (this ledger's, real or sandbox), whether an
        SMS came (a code, a text, or its time) and when; only one site, country or service when given."""
        query = ("SELECT base_url, country_id, service_id, operator_id, test, state, created_at, sms_at, "
                 "(code IS NOT NULL OR sms IS NOT NULL OR sms_at IS NOT NULL) AS delivered FROM orders "
                 "WHERE sandbox = ? AND order_id IS NOT NULL AND operator_id IS NOT NULL")
        params = [self.sandbox]
        for column, value in (("base_url", base_url), ("country_id", country_id), ("service_id", service_id)):
            if value is not None:
                query, params = query + f" AND {column} = ?", params + [str(value)]
        return [dict(row) for row in self.db.execute(query + " ORDER BY local_id", params)]

    def drop(self, order):
        self.db.execute("DELETE FROM orders WHERE local_id = ? AND state = 'buying'", (order["local_id"],))

    def money(self, since=None, only_test=False, counts=None):
        """(spent, held) by this ledger's orders (real or sandbox) created since a time, --test ones included: a
        platform may charge them all the same. With only_test, those bought with --test alone; with counts, those
        whose base URL it accepts (the sites that share a currency and a budget)."""
        spent = held = 0.0
        for order in self.orders(SPENT_STATES + HELD_STATES + ("forgotten", "closed")):
            if only_test and not order["test"] or not order["price"] or since and order["created_at"] < since or \
                    counts and not counts(order["base_url"]):
                continue
            if costs_its_price(order):
                spent += order["price"]
            elif order["state"] in HELD_STATES:
                held += order["price"]
        return round(spent, 4), round(held, 4)

    # small cached values (a cache that cannot be written is no reason to fail a run)
    def get_value(self, key, max_age):
        row = self.db.execute("SELECT value, stored_at FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row["value"]) if row and self.now() - row["stored_at"] < max_age else None

    def put_value(self, key, value):
        """Redacted field by field (a platform may echo the key in a list), never its ids (an id masked here would
        later be sent as `***`). A cache: it never waits long for a ledger another process holds."""
        with contextlib.suppress(sqlite3.Error, UnicodeError), self.impatient():
            self.db.execute("INSERT OR REPLACE INTO kv (key, value, stored_at) VALUES (?, ?, ?)",
                            (key, json.dumps(REDACT.fields(value), ensure_ascii=False), self.now()))

    def in_order(self, bases):
        """Base URLs, those that failed in the last 10 minutes last (but still tried)."""
        failed = self.recently_failed_bases()
        return sorted(bases, key=lambda base: base in failed)

    def recently_failed_bases(self):
        if self._failed_bases is None:
            stored = self.get_value("failed_bases", FAILED_BASE_TTL_S) or {}
            self._failed_bases = {b: t for b, t in stored.items() if self.now() - t < FAILED_BASE_TTL_S}
        return self._failed_bases

    def mark_base_failed(self, base):
        self.recently_failed_bases()[base] = self.now()
        self.put_value("failed_bases", self._failed_bases)

    def mark_base_ok(self, base):
        if base in self.recently_failed_bases():
            del self._failed_bases[base]
            self.put_value("failed_bases", self._failed_bases)


def unreadable_ledger(state_dir, exc):
    """A ledger SQLite cannot use: its open orders are in that file, so the way out is never another state dir."""
    path = os.path.join(state_dir, "ledger.sqlite3")
    return Failure("config", f"the ledger {path} cannot be used ({exc}). Its open orders are in that file: do not "
                   "start another ledger. Copy the file aside, then `sqlite3 ledger.sqlite3 .recover > ledger.sql` "
                   "(or `.dump`) and load it into a new file of the same name; until then `cancel --id ID` with the "
                   "website's order ids still cancels and refunds each open order (it needs no ledger history), and "
                   "`orders` works again once the file is restored.", ledger=path)


def make_private_folders(path):
    """Create path and its missing parents, each private (0700): the ledger says what the user bought."""
    parent = os.path.dirname(path)
    if parent != path and not os.path.exists(parent):
        make_private_folders(parent)
    with contextlib.suppress(FileExistsError):  # another process may make it at the same moment
        os.mkdir(path, 0o700)


def run_gone(order):
    """The process that holds the order has ended (or is this one: an earlier run in it)."""
    return order["pid"] == os.getpid() or not pid_alive(order["pid"])


def abandoned(order):
    """A purchase in flight whose process is gone: nobody will record it."""
    return order["state"] == "buying" and run_gone(order)


def shown_state(order, now):
    """The state `orders` and `check` show: a purchase whose process died is `unknown` (as `cleanup` records it), a
    waiting order whose run is gone and whose hold is over (a `wait` that was killed) is `abandoned`: `cleanup`
    cancels it. Only shown: nothing is written."""
    if abandoned(order):
        return "unknown"
    if order["state"] == "waiting" and run_gone(order) and now > (order["settle_after"] or 0):
        return "abandoned"
    return order["state"]


class _Rollback(Exception):
    pass


def reference(order):
    """What --id and `cleanup --forget` take for an order: its id, or attempt-N for a purchase that has none."""
    return order["order_id"] or f"attempt-{order['local_id']}"


def iso_time(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(timestamp))


def costs_its_price(order):
    """Whether an order's price is spent: its code came and it is (being) confirmed; or settled by hand on the website
    (forgotten) or closed by the platform after its SMS came, a code or a text: a platform charges an order whose SMS
    came, whatever it later calls it. Forgotten or closed with no SMS ever seen, nothing is spent here."""
    if order["state"] in ("forgotten", "closed"):
        return bool(order["code"] or order["sms_at"])
    return order["state"] in SPENT_STATES


def public_order(order):
    """The order as the JSON line shows it (never the pid or internal ids)."""
    shown = {name: order.get(name) for name in ORDER_FIELDS}
    if not order.get("order_id") and order.get("local_id"):
        shown["attempt"] = reference(order)
    shown.update(test=bool(order.get("test")), order_status=order["state"], code=order.get("code"),
                 created_at=iso_time(order["created_at"]) if order.get("created_at") else None)
    if order.get("code_from"):  # the code was read by the agent or a person, not found by the rule
        shown["code_from"] = order["code_from"]
    if order.get("choice"):  # in memory only: why this run bought this operator (choice.py)
        shown["choice"] = order["choice"]
    return shown


def describe_order(order, now=None):
    age = int((now or time.time()) - order["created_at"])
    what = f"order {order['order_id']} number {order['number'] or '?'}" if order["order_id"] else \
        f"purchase {reference(order)} of country {order['country_id']} / service {order['service_id']} " \
        f"at {order['base_url']}"
    return f"{what} ({order['state']}, {age}s old)"


def held_elsewhere(order):
    """open_order for an order another live run holds, saying what that run is doing (reason "held": the user's
    command asks it instead, see users_word.py)."""
    doing = "is settling it" if order["state"] in INTENT_STATE.values() else \
        f"holds it ({order['state']}: waiting for its SMS or for a key at its prompt)"
    return Failure("open_order", f"order {order['order_id']}: another run (process {order['pid']}) {doing}; nothing "
                   "was sent. `cancel --id` or `finish --id` asks that run to do it.", reason="held",
                   **public_order(order))


def open_order_failure(blockers, now):
    unknown = [o for o in blockers if o["state"] == "unknown"]
    if unknown:
        order = unknown[0]
        until = iso_time(order["created_at"] + ORDER_LIFETIME_S)
        message = (f"an earlier purchase got no answer, so the platform may have sold a number: "
                   f"{describe_order(order, now)}. Check the website's orders page: cancel it there if it is listed, "
                   f"then run `cleanup --forget {reference(order)}`; or wait until {until}, when the platform will "
                   "have closed it.")
    else:
        message = ("an open order without a code already exists: " + "; ".join(describe_order(o, now) for o in blockers)
                   + ". Run `wait` to use it, `cancel --id ID` to drop it, or buy with --replace.")
    return Failure("open_order", message, open_orders=[public_order(o) for o in blockers])
