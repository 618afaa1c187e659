"""Initial schema: users, events, tickets, bookings, per-subsection stats.

Revision ID: 0001
Revises:
"""

from src.platform.migration_sql import run_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE users (
    id            serial PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('buyer', 'seller')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
    id             serial PRIMARY KEY,
    seller_id      integer NOT NULL REFERENCES users (id),
    name           text NOT NULL,
    description    text NOT NULL DEFAULT '',
    venue_name     text NOT NULL DEFAULT '',
    seating_config jsonb NOT NULL,
    is_active      boolean NOT NULL DEFAULT true,
    status         text NOT NULL DEFAULT 'available'
                   CHECK (status IN ('available', 'sold_out', 'ended')),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_seller_idx ON events (seller_id);

CREATE TABLE bookings (
    id                  uuid PRIMARY KEY,
    buyer_id            integer NOT NULL REFERENCES users (id),
    event_id            integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    section             text NOT NULL,
    subsection          integer NOT NULL,
    quantity            integer NOT NULL CHECK (quantity BETWEEN 1 AND 4),
    seat_selection_mode text NOT NULL CHECK (seat_selection_mode IN ('manual', 'best_available')),
    seat_positions      text[] NOT NULL DEFAULT '{}',
    total_price         integer NOT NULL DEFAULT 0,
    status              text NOT NULL DEFAULT 'processing'
                        CHECK (status IN ('processing', 'pending_payment', 'completed',
                                          'cancelled', 'failed')),
    failure_reason      text,
    publish_attempts    integer NOT NULL DEFAULT 1,
    release_pending     boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    paid_at             timestamptz
);
CREATE INDEX bookings_buyer_idx ON bookings (buyer_id, event_id);
CREATE INDEX bookings_event_idx ON bookings (event_id, status);
-- The outbox: bookings still waiting for the reservation service, oldest first.
CREATE INDEX bookings_processing_idx ON bookings (updated_at) WHERE status = 'processing';
-- ...and cancelled bookings whose BookingCancelled the broker has not acknowledged yet.
CREATE INDEX bookings_release_idx ON bookings (updated_at) WHERE release_pending;

CREATE TABLE tickets (
    id          bigserial PRIMARY KEY,
    event_id    integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    section     text NOT NULL,
    subsection  integer NOT NULL,
    row         integer NOT NULL,
    seat        integer NOT NULL,
    price       integer NOT NULL,
    status      text NOT NULL DEFAULT 'available'
                CHECK (status IN ('available', 'reserved', 'sold')),
    booking_id  uuid,
    code        text UNIQUE,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, section, subsection, row, seat),
    CHECK ((status = 'available') = (booking_id IS NULL))
);
CREATE INDEX tickets_booking_idx ON tickets (booking_id) WHERE booking_id IS NOT NULL;

CREATE TABLE subsection_stats (
    event_id    integer NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    section     text NOT NULL,
    subsection  integer NOT NULL,
    total       integer NOT NULL,
    available   integer NOT NULL,
    reserved    integer NOT NULL DEFAULT 0,
    sold        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, section, subsection),
    CHECK (available >= 0 AND reserved >= 0 AND sold >= 0
           AND available + reserved + sold = total)
);
"""

DOWNGRADE = """
DROP TABLE subsection_stats;
DROP TABLE tickets;
DROP TABLE bookings;
DROP TABLE events;
DROP TABLE users;
"""


def upgrade() -> None:
    run_script(UPGRADE)


def downgrade() -> None:
    run_script(DOWNGRADE)
