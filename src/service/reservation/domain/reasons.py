"""Why a booking failed, as its buyer reads it: the fixed list of `bookings.failure_reason`.

A failure reason is never an exception's text (spec/booking.md, "Failure reasons"). The seat
map's own refusals are spelled identically in `adapters/allocate.lua`; a unit test holds the two
to each other.
"""

NOT_ENOUGH_SEATS = "Not enough seats available"
SEATS_TAKEN = "Requested seats are not available"
INVALID_SELECTION = "Invalid seat selection"
WAS_CANCELLED = "Booking was cancelled"
NOT_PROCESSED = "Booking could not be processed"

# Every reason the reservation service fails a booking with (the ticketing service's settle
# deadline has its own, `FailureReason` in its domain).
FAILURE_REASONS: frozenset[str] = frozenset(
    {NOT_ENOUGH_SEATS, SEATS_TAKEN, INVALID_SELECTION, WAS_CANCELLED, NOT_PROCESSED}
)
# The ones `allocate.lua` answers with.
SEAT_MAP_REASONS: frozenset[str] = frozenset(
    {NOT_ENOUGH_SEATS, SEATS_TAKEN, INVALID_SELECTION, WAS_CANCELLED}
)
