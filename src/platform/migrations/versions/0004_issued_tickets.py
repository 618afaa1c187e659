"""Issued tickets: one per paid seat, with its own life (spec/tickets.md).

`issued_tickets` holds the document a holder shows at the door; `tickets` stays the seat map
of record. A partial unique index keeps at most one live (`valid` or `checked_in`) ticket per
seat. Codes already written to `tickets.code` move here (the column is no longer written).
`event_staff` is who may scan for an event besides its seller; `check_in_scans` is the
append-only log of every scan, unique per event by an offline gate's nonce. Events get their
dates and refund settings (`refund_policy` NULL = the default tiers). A booking may end
`refunded`; `refunds` records each refunded ticket and is the outbox of its payout and release.

Revision ID: 0004
Revises: 0003
"""

from src.platform.migration_sql import run_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE issued_tickets (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    seat_id         bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event_id        integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    booking_id      uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    holder_id       integer NOT NULL REFERENCES users (id),
    price           integer NOT NULL CHECK (price >= 0),
    status          text NOT NULL DEFAULT 'valid'
                    CHECK (status IN ('valid', 'checked_in', 'refunded', 'transferred')),
    attendee_name   text,
    attendee_email  text,
    previous_id     bigint UNIQUE REFERENCES issued_tickets (id),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    checked_in_at   timestamptz,
    checked_in_gate text,
    CHECK ((attendee_name IS NULL) = (attendee_email IS NULL)),
    CHECK ((checked_in_at IS NOT NULL) = (status = 'checked_in'))
);
CREATE UNIQUE INDEX issued_tickets_live_seat_idx ON issued_tickets (seat_id)
    WHERE status IN ('valid', 'checked_in');
CREATE INDEX issued_tickets_holder_idx ON issued_tickets (holder_id, id DESC);
CREATE INDEX issued_tickets_booking_idx ON issued_tickets (booking_id);
CREATE INDEX issued_tickets_event_idx ON issued_tickets (event_id, status);
CREATE TABLE event_staff (
    event_id integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id  integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);
CREATE TABLE check_in_scans (
    id          bigserial PRIMARY KEY,
    event_id    integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_id   bigint REFERENCES issued_tickets (id) ON DELETE CASCADE,
    code        text NOT NULL,
    result      text NOT NULL CHECK (result IN ('checked_in', 'already_checked_in', 'refunded',
                                                'transferred', 'wrong_event', 'unknown_code')),
    gate        text,
    staff_id    integer NOT NULL REFERENCES users (id),
    scanned_at  timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    nonce       text,
    UNIQUE (event_id, nonce)
);
CREATE INDEX check_in_scans_event_idx ON check_in_scans (event_id, id DESC);
-- Append-only: a scan is never changed or deleted, except with its event or ticket (a
-- cascade, which fires this trigger from the foreign key's own trigger: depth 2).
CREATE FUNCTION check_in_scans_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD; END IF; RAISE EXCEPTION 'check_in_scans is append-only'; END
$$;
CREATE TRIGGER check_in_scans_append_only BEFORE UPDATE OR DELETE ON check_in_scans
    FOR EACH ROW EXECUTE FUNCTION check_in_scans_append_only();
ALTER TABLE events
    ADD COLUMN starts_at timestamptz,
    ADD COLUMN ends_at timestamptz,
    ADD COLUMN refunds_enabled boolean NOT NULL DEFAULT true,
    ADD COLUMN refund_policy jsonb,
    ADD CONSTRAINT events_schedule_check
        CHECK (ends_at IS NULL OR (starts_at IS NOT NULL AND ends_at > starts_at));
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN (
        'processing', 'pending_payment', 'completed', 'cancelled', 'failed', 'refunded'));
CREATE TABLE refunds (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL UNIQUE REFERENCES issued_tickets (id) ON DELETE CASCADE,
    booking_id      uuid NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    event_id        integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    price           integer NOT NULL CHECK (price >= 0),
    percent         integer NOT NULL CHECK (percent BETWEEN 1 AND 100),
    amount          integer NOT NULL CHECK (amount BETWEEN 0 AND price),
    provider_ref    text,
    release_pending boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    paid_out_at     timestamptz
);
CREATE INDEX refunds_booking_idx ON refunds (booking_id);
-- The refund outbox: not paid out yet, or the seats' release not acknowledged yet.
CREATE INDEX refunds_pending_idx ON refunds (updated_at)
    WHERE release_pending OR provider_ref IS NULL;
INSERT INTO issued_tickets (code, seat_id, event_id, booking_id, holder_id, price, issued_at)
SELECT t.code, t.id, t.event_id, t.booking_id, b.buyer_id, t.price,
       coalesce(b.paid_at, t.updated_at)
FROM tickets AS t JOIN bookings AS b ON b.id = t.booking_id
WHERE t.status = 'sold' AND t.code IS NOT NULL
ORDER BY t.id;
UPDATE tickets SET code = NULL WHERE code IS NOT NULL
"""

DOWNGRADE = """
UPDATE tickets AS t SET code = i.code FROM issued_tickets AS i
WHERE i.seat_id = t.id AND i.booking_id = t.booking_id AND i.previous_id IS NULL;
DROP TABLE refunds;
UPDATE bookings SET status = 'completed' WHERE status = 'refunded';
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN (
        'processing', 'pending_payment', 'completed', 'cancelled', 'failed'));
ALTER TABLE events DROP CONSTRAINT events_schedule_check, DROP COLUMN starts_at,
    DROP COLUMN ends_at, DROP COLUMN refunds_enabled, DROP COLUMN refund_policy;
DROP TABLE check_in_scans;
DROP FUNCTION check_in_scans_append_only;
DROP TABLE event_staff;
DROP TABLE issued_tickets
"""


def upgrade() -> None:
    run_script(UPGRADE)


def downgrade() -> None:
    run_script(DOWNGRADE)
