Feature: An event's lifecycle and its cancellation
  A seller creates an event as a draft or directly on sale, publishes a draft, and may cancel
  the event: every booking is then cancelled or refunded in full and every seat released.
  spec/tickets.md, rules 18 and 19.

  Scenario: A draft event refuses bookings until its seller publishes it
    Given a seller has a draft event with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    When Alice books seats 1-1
    Then the request is rejected with 400 "Event is not on sale"
    When the seller publishes the event
    And Alice books seats 1-1
    Then the booking is accepted as processing
    And the booking becomes pending_payment

  Scenario: A cancelled event refunds every paid ticket in full and releases every seat
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And the event starts tomorrow, too late for a refund by its policy
    And Alice is a buyer
    And Bob is a buyer
    And Alice has a paid booking for seats 1-1, 1-2
    And Bob has a pending_payment booking for seats 2-1
    When the seller cancels the event
    Then the event is cancelled with 1 booking cancelled and 1 refunded
    And Alice's tickets for seats 1-1, 1-2 are refunded with 1000 each paid back
    And Bob's booking is cancelled
    And seats 1-1, 1-2, 2-1 are available on the seat map
    And the subsection shows 6 available, 0 reserved and 0 sold
    When Bob books seats 2-2
    Then the request is rejected with 400 "Event is not on sale"
    When the seller cancels the event
    Then the event is cancelled with 0 booking cancelled and 0 refunded
