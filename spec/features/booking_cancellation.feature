Feature: Cancelling a booking
  A buyer may cancel a booking that is still "processing" or "pending_payment"; its
  seats go back on sale at once. "completed", "cancelled" and "failed" are final.
  spec/booking.md, "Acceptance", cancellation.

  Background:
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer

  Scenario Outline: Buyer can cancel a <status> booking
    Given Alice has a <status> booking
    When Alice cancels the booking
    Then the cancellation is accepted

    Examples:
      | status          |
      | processing      |
      | pending_payment |

  Scenario: Status changes to cancelled after cancellation
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice cancels the booking
    Then the booking is still cancelled
    And the booking holds no tickets any more

  Scenario: Seats are released back to available after cancellation
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice cancels the booking
    Then seats 1-1, 1-2 are available on the seat map
    And the subsection shows 6 available, 0 reserved and 0 sold
    And another buyer can book seats 1-1, 1-2 again

  Scenario: Seats of a booking cancelled while still processing are never kept
    Given Alice has a processing booking
    When Alice cancels the booking
    And the reservation service catches up
    Then another buyer can book all 6 seats of the subsection

  Scenario: Completed bookings cannot be cancelled (400)
    Given Alice has a completed booking
    When Alice cancels the booking
    Then the request is rejected with 400 "Cannot cancel a completed booking"
    And the booking is still completed

  Scenario: Cancelled bookings cannot be cancelled again (400)
    Given Alice has a cancelled booking
    When Alice cancels the booking
    Then the request is rejected with 400 "Booking already in terminal state"
    And the booking is still cancelled

  Scenario: Failed bookings cannot be cancelled (400)
    Given Alice has a failed booking
    When Alice cancels the booking
    Then the request is rejected with 400 "Cannot cancel failed booking"
    And the booking is still failed

  Scenario: Someone who did not make the booking cannot cancel it (403)
    Given Alice has a pending_payment booking for seats 2-3
    And Mallory is a buyer
    When Mallory cancels Alice's booking
    Then the request is rejected with 403 "Only the buyer of this booking can cancel it"
    And the booking is still pending_payment
    And seats 2-3 are reserved on the seat map
