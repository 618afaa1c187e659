"""Fault-injection suite of the seat-ticketing backend (`make chaos`, spec/faults.md).

    python -m deploy.chaos                          # every scenario, full form
    python -m deploy.chaos --short                  # kvrocks-flush and consumer-kill-5s, short
    python -m deploy.chaos --scenario api-kill --scenario kafka-kill-15s
    python -m deploy.chaos --short --sabotage lost  # show that a check fires
    python -m deploy.chaos --list

On fresh infrastructure of its own (profile `chaos`: PostgreSQL 31432, redis-server 31379,
Kafka 31092/31093, the API on 127.0.0.1:31800) it runs bounded load (the load tool's client,
with idempotency keys and retries), injects each scenario's fault at a fixed moment, lifts it,
waits for settling and checks the outcome; reports/chaos-latest.json and .md.
"""
