"""Load tool of the seat-ticketing backend: flash-sale sellout, sustained arrival rate and the
reservation service draining a backlog.

    python -m deploy.loadtest sellout   [--quantity 1-4] ...
    python -m deploy.loadtest sustained --rate 2000 --duration 60
    python -m deploy.loadtest drain     --bookings 50000     # needs RESERVATION_PIDS
    python -m deploy.loadtest verify    --event-id 7 [--sold-out]

Each run ends by proving from PostgreSQL and Kvrocks that no seat was sold twice and no
booking was lost (`verify.py`); see spec/performance.md.
"""
