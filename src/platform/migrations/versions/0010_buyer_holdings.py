"""Per-buyer counters for the on-sale limits (spec/booking.md, rules 11–12; spec/decisions.md,
"Per-buyer limits are counted in buyer_holdings, kept by triggers"): one row per (event,
buyer) of an event that limits buyers, holding the seats of the buyer's bookings in
`lifecycle.LIMIT_COUNTED` (`tickets`) and how many of them are `lifecycle.OPEN`
(`open_bookings`). Events without limits have no rows.

The rows follow `bookings` through three statement-level triggers (insert, update, delete),
so every move into or out of the counted statuses, by either service or by hand, changes
the counter in the move's own transaction. Each trigger adds the net change per (event,
buyer) of its statement, set-wise and in (event, buyer) order, so two transactions never
lock two counters in opposite orders; a statement whose moves change nothing counted (a
booking held, `processing → pending_payment`) writes no counter. An UPDATE trigger with
transition tables cannot name its columns (`UPDATE OF status`), so it fires on every update
of bookings and finds the net change empty for those that do not move a status or quantity.

The statuses below are those of `src/service/lifecycle.py` when this revision was written
(counted: processing, pending_payment, completed; open: processing, pending_payment);
`test/integration/test_buyer_holdings_pg.py` holds them to the module.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from src.platform.migration_sql import run_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE buyer_holdings (
    event_id      integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    buyer_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tickets       integer NOT NULL DEFAULT 0,
    open_bookings integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, buyer_id)
);
CREATE FUNCTION booking_limit_tickets(status text, quantity integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN status IN ('processing', 'pending_payment', 'completed') THEN quantity
            ELSE 0 END
$$;
CREATE FUNCTION booking_limit_open(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
SELECT CASE WHEN status IN ('processing', 'pending_payment') THEN 1 ELSE 0 END
$$;
-- Add net changes (event, buyer, tickets, open bookings) to the counters in (event, buyer)
-- order; a pair without a row gets one.
CREATE FUNCTION buyer_holdings_add(integer[], integer[], integer[], integer[])
    RETURNS void LANGUAGE sql AS $$
INSERT INTO buyer_holdings AS h (event_id, buyer_id, tickets, open_bookings)
SELECT u.e, u.b, sum(u.t)::integer, sum(u.o)::integer
FROM unnest($1, $2, $3, $4) AS u(e, b, t, o)
GROUP BY u.e, u.b HAVING sum(u.t) <> 0 OR sum(u.o) <> 0
ORDER BY u.e, u.b
ON CONFLICT (event_id, buyer_id) DO UPDATE
SET tickets = h.tickets + EXCLUDED.tickets,
    open_bookings = h.open_bookings + EXCLUDED.open_bookings
$$;
"""

# The trigger function, run as one statement: run_script would split its body at ";\n".
# The events that limit buyers are read in a statement of their own: under READ COMMITTED it
# takes a fresh snapshot, after whatever lock the moving statement waited for (a PATCH that
# turns a limit on holds `LOCK TABLE bookings IN SHARE MODE` until it commits).
FOLLOW = """
CREATE FUNCTION buyer_holdings_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  limited integer[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT event_id) INTO limited FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT event_id) INTO limited FROM old_rows;
  ELSE
    SELECT array_agg(DISTINCT m.event_id) INTO limited
      FROM (SELECT event_id FROM new_rows UNION ALL SELECT event_id FROM old_rows) AS m;
  END IF;
  SELECT array_agg(id) INTO limited FROM events
    WHERE id = ANY (limited)
      AND (max_tickets_per_buyer IS NOT NULL OR one_open_booking_per_buyer);
  IF limited IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    PERFORM buyer_holdings_add(array_agg(event_id), array_agg(buyer_id),
        array_agg(booking_limit_tickets(status, quantity)),
        array_agg(booking_limit_open(status)))
      FROM new_rows WHERE event_id = ANY (limited);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM buyer_holdings_add(array_agg(event_id), array_agg(buyer_id),
        array_agg(-booking_limit_tickets(status, quantity)),
        array_agg(-booking_limit_open(status)))
      FROM old_rows WHERE event_id = ANY (limited);
  ELSE
    PERFORM buyer_holdings_add(array_agg(m.e), array_agg(m.b), array_agg(m.t), array_agg(m.o))
      FROM (SELECT n.event_id AS e, n.buyer_id AS b,
                   booking_limit_tickets(n.status, n.quantity) AS t,
                   booking_limit_open(n.status) AS o FROM new_rows AS n
            UNION ALL
            SELECT d.event_id, d.buyer_id, -booking_limit_tickets(d.status, d.quantity),
                   -booking_limit_open(d.status) FROM old_rows AS d) AS m
      WHERE m.e = ANY (limited);
  END IF;
  RETURN NULL;
END
$$
"""

TRIGGERS = """
CREATE TRIGGER buyer_holdings_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION buyer_holdings_follow();
CREATE TRIGGER buyer_holdings_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION buyer_holdings_follow();
CREATE TRIGGER buyer_holdings_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION buyer_holdings_follow();
LOCK TABLE bookings IN SHARE MODE;
INSERT INTO buyer_holdings (event_id, buyer_id, tickets, open_bookings)
SELECT b.event_id, b.buyer_id, sum(booking_limit_tickets(b.status, b.quantity)),
       sum(booking_limit_open(b.status))
FROM bookings AS b JOIN events AS e ON e.id = b.event_id
WHERE (e.max_tickets_per_buyer IS NOT NULL OR e.one_open_booking_per_buyer)
  AND booking_limit_tickets(b.status, b.quantity) <> 0
GROUP BY b.event_id, b.buyer_id;
"""

DOWNGRADE = """
DROP TRIGGER buyer_holdings_delete ON bookings;
DROP TRIGGER buyer_holdings_update ON bookings;
DROP TRIGGER buyer_holdings_insert ON bookings;
DROP FUNCTION buyer_holdings_follow();
DROP FUNCTION buyer_holdings_add(integer[], integer[], integer[], integer[]);
DROP FUNCTION booking_limit_open(text);
DROP FUNCTION booking_limit_tickets(text, integer);
DROP TABLE buyer_holdings;
"""


def upgrade() -> None:
    """Create the counters and their triggers; count the bookings of events with limits."""
    run_script(UPGRADE)
    op.execute(FOLLOW)
    run_script(TRIGGERS)


def downgrade() -> None:
    """Drop the counters (the limits are then counted by nothing: revision 0009's code
    counted them from the bookings)."""
    run_script(DOWNGRADE)
