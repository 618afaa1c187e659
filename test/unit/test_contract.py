"""The shared message contract: encodings both services rely on."""

import uuid

from src.service.contract import (
    BookingCreated,
    BookingStatusUpdate,
    SubsectionConfig,
    decode_command,
    decode_commands,
    encode,
    status_update_json,
)


def test_hand_written_status_json_is_a_valid_booking_status_update():
    booking_id = uuid.uuid4()
    raw = status_update_json(booking_id, 7, 3, "pending_payment", ("1-1", "1-2"), 2000, None)
    assert BookingStatusUpdate.model_validate_json(raw) == BookingStatusUpdate(
        booking_id=booking_id, buyer_id=7, event_id=3, status="pending_payment",
        seat_positions=["1-1", "1-2"], total_price=2000, reason=None,
    )


def test_a_batch_decodes_like_its_messages_one_by_one():
    commands = [
        BookingCreated(
            booking_id=uuid.uuid4(), buyer_id=1, event_id=2, section="A", subsection=1,
            quantity=q, seat_selection_mode="best_available", seat_positions=[],
            total_price=100 * q, config=SubsectionConfig(rows=2, cols=3, price=100),
            occurred_at="2026-01-01T00:00:00Z",
        )
        for q in (1, 2, 3)
    ]
    raws = [encode(c) for c in commands]
    assert decode_commands(raws) == [decode_command(r) for r in raws] == commands
