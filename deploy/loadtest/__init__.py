"""Load tool of the seat-ticketing backend: flash-sale sellout and sustained arrival rate.

    python -m deploy.loadtest sellout   [--quantity 1-4] ...
    python -m deploy.loadtest sustained --rate 2000 --duration 60
    python -m deploy.loadtest verify    --event-id 7 [--sold-out]

Each run ends by proving from PostgreSQL and Kvrocks that no seat was sold twice and no
booking was lost (`verify.py`); see spec/performance.md.
"""
