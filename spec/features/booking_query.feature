Feature: Looking up bookings
  Buyers see their own bookings and nobody else's; sellers see every booking on
  their own events. The detail view shows the event, the buyer and the seats.
  spec/booking.md, "Acceptance", query, and rule 7 (permissions).

  Background:
    Given a seller has an event on sale with 2 rows of 4 seats at 1000 each
    And Alice is a buyer
    And Bob is a buyer

  Scenario: Buyer can view their own booking list
    Given Alice has a pending_payment booking for seats 1-1
    And Alice has a pending_payment booking for seats 1-2
    And Bob has a pending_payment booking for seats 2-1
    When Alice lists her bookings
    Then she sees exactly Alice's 2 bookings

  Scenario: Seller can view all bookings for their events
    Given Alice has a pending_payment booking for seats 1-1
    And Bob has a pending_payment booking for seats 2-1
    And Bob also has a booking on another seller's event
    When the seller lists the bookings
    Then the seller sees exactly the 2 bookings on the event

  Scenario Outline: The booking list can be filtered by status (<status>)
    Given Alice has a pending_payment booking
    And Alice has a cancelled booking
    And Alice has a completed booking
    When Alice lists her <status> bookings
    Then she sees only her 1 <status> booking

    Examples:
      | status          |
      | pending_payment |
      | cancelled       |
      | completed       |

  Scenario: Booking details include event info, buyer info and seat info
    Given Alice has a pending_payment booking for seats 2-3, 2-4
    When Alice opens the booking
    Then she sees the event's name and venue
    And she sees her own name and e-mail as the buyer
    And she sees seats 2-3, 2-4 reserved at 1000 each

  Scenario: Query for a non-existent booking returns 404
    When Alice opens a booking that does not exist
    Then the request is rejected with 404 "Booking not found"

  Scenario: A buyer cannot see another buyer's booking
    Given Bob has a pending_payment booking for seats 2-1
    When Alice opens Bob's booking
    Then the request is rejected with 404 "Booking not found"
