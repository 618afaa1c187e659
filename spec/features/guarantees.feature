Feature: Guarantees of the booking pipeline
  What must hold however many buyers arrive at once and whatever order things
  happen in (spec/architecture.md, "Guarantees"): no seat is sold twice, no accepted booking is lost or
  stuck, cancellations always give the seats back, the outcome always reaches the
  buyer, any number of events are served side by side, and a retried request is
  never done twice.

  Scenario: 200 buyers racing for 100 seats never get the same seat
    Given a seller has an event on sale with 10 rows of 10 seats at 1000 each
    When 20 buyers send 200 one-seat best available bookings at the same time
    Then every accepted booking settles
    And exactly 100 bookings hold a seat and the other 100 requests failed or were refused
    And no seat is held by two bookings
    And the subsection shows 0 available, 100 reserved and 0 sold

  Scenario: Cancelling while the reservation is still running never keeps a seat
    Given a seller has an event on sale with 10 rows of 10 seats at 1000 each
    And 5 buyers each hold a pending_payment booking of 2 seats
    When 10 buyers each book 2 seats 4 times and cancel every booking at once
    Then every cancellation is accepted
    And every accepted booking settles
    And no cancelled booking holds a ticket
    And the subsection shows 90 available, 10 reserved and 0 sold
    And the reserved seats on the seat map are exactly those of the kept bookings
    And all 90 free seats can be booked again

  Scenario: A buyer who subscribes after the booking settled still gets the outcome
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And Alice has a pending_payment booking for seats 1-1
    When Alice opens the booking stream of the event
    Then Alice is told the booking is pending_payment with seats 1-1

  Scenario: A buyer who subscribes to a booking after it failed is told it failed
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And Alice has a failed booking
    When Alice opens the stream of that booking
    Then Alice is told the booking is failed
    And the stream closes by itself

  Scenario: A buyer who opens the event's booking stream after a booking failed is told it failed
    Without ?booking_id= the stream reports the buyer's open bookings on the event and
    those that reached a final status in the last minute, then closes if none is open.

    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And Alice has a failed booking
    When Alice opens the booking stream of the event
    Then Alice is told the booking is failed
    And the stream closes by itself

  Scenario: Two events on sale at the same time are both served
    Given two sellers each have an event on sale with 4 rows of 5 seats
    When 10 buyers each book 2 seats on both events at the same time
    Then all 10 bookings on each event become pending_payment
    And each event shows 0 available and 20 reserved

  Scenario: A booking accepted while the reservation service stalls is settled exactly once
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And the reservation service stalls
    When Alice books seats 1-1, 1-2
    Then the booking is accepted as processing
    And while the service stalls the booking stays processing and is not sent again
    When the reservation service catches up
    Then the booking becomes pending_payment
    And the subsection shows 4 available, 2 reserved and 0 sold
    And seats 1-1, 1-2 are reserved on the seat map

  Scenario: A retried booking with the same Idempotency-Key returns the same booking
    The first answer may have been lost; by the time the buyer retries, the booking
    holds the seats, so without the key the retry would be refused as taken.

    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    When Alice books seats 1-1, 1-2 with Idempotency-Key "alice-booking-1"
    Then the booking becomes pending_payment
    When Alice sends the same booking again with Idempotency-Key "alice-booking-1"
    Then the answer is 202 with the same booking, marked as replayed, now pending_payment
    And Alice has exactly 1 booking

  Scenario: A retried pay returns the paid booking
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And Alice has a pending_payment booking for seats 1-1
    When Alice pays for the booking with Idempotency-Key "alice-pay-1"
    And Alice pays for the booking again with Idempotency-Key "alice-pay-1"
    Then both payments answer 200 with the booking completed, the second marked as replayed
    And the subsection shows 5 available, 0 reserved and 1 sold
