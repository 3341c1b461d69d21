"""The shipping SLA of rules/order_sla_bench.pacta as one DuckDB query.

    python duckdb_check.py EVENTS.jsonl AS_OF [--threads N] [--memory-limit 8GB]
                           [--per-order OUT.csv]

Prints one JSON object: {"fulfilled": …, "violated": …, "cancelled": …,
"pending": …} — the instances per status as of AS_OF (RFC 3339, UTC, `Z`).
With --per-order, also writes every order's status to OUT.csv (order,status),
to find which orders two checkers disagree on.

The semantics are pacta's (docs/language.md §4.5–4.8, silent 2–4 and 10):
- events after the as-of are not evidence yet;
- one instance per order id seen in an `order_paid` event; the first payment
  starts the clock (a repeated payment does not restart it);
- the deadline is paid + 48h, and the window includes it: a shipment exactly
  at the deadline is on time; an instance becomes violated only as of an
  instant after its deadline;
- only shipments at or after the payment count;
- a cancellation cancels if it comes no later than the deadline and before
  the shipment (at the very instant of the shipment, the shipment wins); a
  cancellation before the payment takes effect at the payment.
"""

import json
import sys

import duckdb

QUERY = """
WITH ev AS (
    SELECT "at" AS t, event, "order".id AS oid
    FROM read_ndjson(?, columns = {
        'at': 'TIMESTAMP',
        'event': 'VARCHAR',
        'order': 'STRUCT(id VARCHAR)'
    })
    WHERE event IN ('order_paid', 'order_shipped', 'order_cancelled')
      AND "at" <= CAST(? AS TIMESTAMP)
),
paid AS (
    SELECT oid, min(t) AS p FROM ev WHERE event = 'order_paid' GROUP BY oid
),
per AS (
    SELECT paid.oid,
           paid.p + INTERVAL 48 HOUR AS d,
           min(ev.t) FILTER (WHERE ev.event = 'order_shipped' AND ev.t >= paid.p) AS s,
           min(greatest(ev.t, paid.p)) FILTER (WHERE ev.event = 'order_cancelled') AS c
    FROM paid LEFT JOIN ev ON ev.oid = paid.oid AND ev.event <> 'order_paid'
    GROUP BY paid.oid, paid.p
),
status AS (
    SELECT oid, CASE
        WHEN s IS NOT NULL AND s <= d AND (c IS NULL OR c >= s) THEN 'fulfilled'
        WHEN c IS NOT NULL AND c <= d AND (s IS NULL OR c < s) THEN 'cancelled'
        WHEN CAST(? AS TIMESTAMP) > d THEN 'violated'
        ELSE 'pending'
    END AS status
    FROM per
)
"""


def main() -> int:
    args = sys.argv[1:]
    threads = None
    per_order = None
    memory_limit = None
    if "--memory-limit" in args:
        i = args.index("--memory-limit")
        memory_limit = args[i + 1]
        del args[i : i + 2]
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i : i + 2]
    if "--per-order" in args:
        i = args.index("--per-order")
        per_order = args[i + 1]
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, as_of = args
    # The as-of is UTC (`Z`); TIMESTAMP is zone-less UTC here.
    as_of = as_of.removesuffix("Z")
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    params = [path, as_of, as_of]
    if per_order:
        con.execute(
            QUERY + f"COPY (SELECT oid AS order, status FROM status ORDER BY oid) "
            f"TO '{per_order}' (HEADER, DELIMITER ',')",
            params,
        )
    rows = con.execute(
        QUERY + "SELECT status, count(*) FROM status GROUP BY status", params
    ).fetchall()
    counts = {"fulfilled": 0, "violated": 0, "cancelled": 0, "pending": 0}
    counts.update({status: n for status, n in rows})
    print(json.dumps(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
