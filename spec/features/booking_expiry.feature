Feature: Payment deadline
  By default a held booking waits for its payment with no time limit. A seller may give
  an event a payment deadline, "hold_seconds" (30 to 86,400): a booking still
  "pending_payment" at its "expires_at" becomes "expired", its stream says so and closes,
  its seats go back on sale through the normal release path, and it can no longer be paid.
  spec/booking.md, rule 6.

  Background:
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each and a payment deadline of 30 seconds
    And Alice is a buyer
    And Bob is a buyer

  Scenario: An unpaid hold expires, another buyer gets its seats, and it cannot be paid
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    And Alice is watching that booking until it ends
    Then the booking must be paid within 30 seconds of being held
    When the payment deadline passes
    Then Alice is told the booking is expired with seats 1-1, 1-2
    And the stream closes by itself
    And the booking is still expired
    And seats 1-1, 1-2 are available on the seat map
    And Bob can book seats 1-1, 1-2 within a few seconds of the deadline
    When Alice pays for the booking
    Then the request is rejected with 400 "Booking has expired"
