Feature: Paying for a booking
  Once the reservation service has locked the seats, the booking waits in
  "pending_payment" (with no time limit) until its buyer pays or cancels. Payment is
  a mock: it turns the booking "completed" and its tickets "sold", each with a code.
  spec/booking.md, "Acceptance", payment.

  Background:
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer

  Scenario: Buyer can pay for a pending_payment booking
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice pays for the booking
    Then the payment is accepted

  Scenario: Status changes to completed after successful payment
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice pays for the booking
    Then the booking is still completed
    And the booking shows when it was paid

  Scenario: Associated tickets change to sold after successful payment
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice pays for the booking
    Then the tickets for seats 1-1, 1-2 are sold, each with its own ticket code
    And seats 1-1, 1-2 are sold on the seat map
    And the subsection shows 4 available, 0 reserved and 2 sold

  Scenario: Paid bookings cannot be paid again
    Given Alice has a completed booking
    When Alice pays for the booking
    Then the request is rejected with 400 "Booking is already paid"
    And the booking is still completed

  Scenario: Cancelled bookings cannot be paid
    Given Alice has a cancelled booking
    When Alice pays for the booking
    Then the request is rejected with 400 "Cannot pay cancelled booking"
    And the booking is still cancelled

  Scenario: A booking still processing cannot be paid (400)
    Given Alice has a processing booking
    When Alice pays for the booking
    Then the request is rejected with 400 "Cannot pay booking in processing state"
    And the booking is still processing

  Scenario: A failed booking cannot be paid (400)
    Given Alice has a failed booking
    When Alice pays for the booking
    Then the request is rejected with 400 "Cannot pay failed booking"
    And the booking is still failed

  Scenario: Someone who did not make the booking cannot pay for it
    Given Alice has a pending_payment booking for seats 2-3
    And Mallory is a buyer
    When Mallory pays for Alice's booking
    Then the request is rejected with 403 "Only the buyer of this booking can pay it"
    And the booking is still pending_payment
