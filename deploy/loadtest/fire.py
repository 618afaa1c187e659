"""One booking request: send, record the sample, learn from a fail-fast refusal."""

from __future__ import annotations

from deploy.loadtest.api import TRANSPORT_ERRORS, Api
from deploy.loadtest.recorder import ACCEPTED, TRANSPORT_ERROR, Recorder, Sample
from deploy.loadtest.targets import SOLD_OUT, Pool, Target

OFF_SALE = "Event is not on sale"
NOT_STARTED = "Sales have not started"
EARLY = -1  # what `fire` returns for a refusal because the sale window has not opened


async def fire(
    api: Api, rec: Recorder, pool: Pool, token: str, target: Target, quantity: int
) -> int:
    """Book `quantity` seats of `target`; returns the HTTP status (0 = transport error), or
    `EARLY` for a 400 "Sales have not started …" (spec/booking.md, rule 10)."""
    sent = rec.now()
    try:
        status, body = await api.book(token, target.event_id, target.section, target.subsection,
                                      quantity)
    except TRANSPORT_ERRORS:
        status, body = TRANSPORT_ERROR, None
    body = body if isinstance(body, dict) else {}
    booking_id = str(body.get("id")) if status == ACCEPTED and body.get("id") else None
    rec.add(Sample(sent, rec.now() - sent, status, quantity, booking_id))
    if status == 400 and body.get("detail") == SOLD_OUT:
        pool.refused(target, quantity)
    elif status == 400 and body.get("detail") == OFF_SALE:
        pool.close_all()
    elif status == 400 and str(body.get("detail", "")).startswith(NOT_STARTED):
        rec.early += 1
        return EARLY
    return status


def status_line(label: str, rec: Recorder, pool: Pool, total: int):
    """A progress-line function with the accept rate since its previous call."""
    last = {"t": 0.0, "accepted": 0, "rate": 0.0}

    def line() -> str:
        t = rec.now()
        if t - last["t"] >= 0.4:  # the closing call may come right after the previous one
            last["rate"] = (rec.accepted - last["accepted"]) / (t - last["t"])
            last.update(t=t, accepted=rec.accepted)
        rate = last["rate"]
        return (
            f"[{label}] {t:6.1f}s sent {len(rec.samples)} accepted {rec.accepted} "
            f"rejected {rec.rejected} errors {rec.errors} dropped {rec.dropped} | "
            f"{rate:6.0f} accepted/s | open subsections {pool.open_count}/{total}"
        )

    return line
