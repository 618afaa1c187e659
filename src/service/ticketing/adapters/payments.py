"""The payment provider behind refunds: a mock until a real one is plugged in
(spec/tickets.md, rule 16)."""

from uuid import UUID


class MockPaymentProvider:
    """Pays nothing and answers a reference per refund id, the same every time it is asked
    (a real provider is called with the refund id as its idempotency key)."""

    def __init__(self) -> None:
        self.paid: dict[int, tuple[UUID, int]] = {}

    async def refund(self, refund_id: int, booking_id: UUID, amount: int) -> str:
        """`mock-refund-<id>`; remembers what it was asked to pay."""
        self.paid.setdefault(refund_id, (booking_id, amount))
        return f"mock-refund-{refund_id}"
