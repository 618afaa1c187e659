Feature: Creating a booking
  A buyer asks for 1 to 4 seats of one subsection, either by picking the seats
  ("manual") or by letting the system choose ("best_available"). The request is
  answered at once with 202 and status "processing"; the reservation service then
  locks the seats and the booking becomes "pending_payment" (or "failed").
  spec/booking.md, "Acceptance", creation.

  Background:
    Given a seller has an event on sale with 3 rows of 4 seats at 1500 each
    And Alice is a buyer

  Scenario Outline: Buyer can manually select 1-4 seats to create a booking
    When Alice books seats <seats>
    Then the booking is accepted as processing
    And the booking becomes pending_payment
    And the booking holds seats <seats> for a total of <total>
    And seats <seats> are reserved on the seat map

    Examples:
      | seats              | total |
      | 1-1                | 1500  |
      | 2-1, 2-2           | 3000  |
      | 3-2, 3-3, 3-4      | 4500  |
      | 1-2, 1-3, 2-3, 2-4 | 6000  |

  Scenario: Buyer can create a booking using best available mode
    Given Bob is a buyer
    And Bob has a pending_payment booking for seats 1-1, 1-2
    When Alice books 3 seats with best available
    Then the booking is accepted as processing
    And the booking becomes pending_payment
    And the booking holds 3 seats side by side in one row, none of them Bob's
    And the subsection shows 7 available, 5 reserved and 0 sold

  Scenario: Manual selection requires the seat_positions count to match the quantity
    When Alice asks for 3 seats but picks only 1-1, 1-2
    Then the request is rejected with 400 "Manual selection requires seat_positions count to match quantity"
    And Alice has no bookings

  Scenario: Best available mode requires seat_positions to be an empty array
    When Alice asks for 2 best available seats but also names 1-1, 1-2
    Then the request is rejected with 400 "Best available mode requires seat_positions to be empty"
    And Alice has no bookings

  Scenario Outline: A booking quantity exceeding 4 (or below 1) returns 400
    When Alice books <quantity> seats with best available
    Then the request is rejected with 400 "Quantity must be between 1 and 4"
    And Alice has no bookings

    Examples:
      | quantity |
      | 5        |
      | 40       |
      | 0        |

  Scenario: Insufficient seats returns 400 immediately (Fail Fast)
    Given only 2 seats of the subsection are left
    When Alice books 3 seats with best available
    Then the request is rejected with 400 "Insufficient seats available"
    And Alice has no bookings

  Scenario: A seat somebody already holds is refused immediately (Fail Fast)
    Given Bob is a buyer
    And Bob has a pending_payment booking for seats 2-2
    When Alice books seats 2-1, 2-2
    Then the request is rejected with 400 "Seats not available: 2-2"
    And Alice has no bookings

  Scenario: Booking status is processing after creation
    When Alice books 2 seats with best available
    Then the booking is accepted as processing
    And Alice can look the booking up right away

  Scenario: BookingCreatedDomainEvent is sent after booking creation
    When Alice books seats 3-1, 3-2
    Then the reservation service receives the booking and locks seats 3-1, 3-2
    And the subsection shows 10 available, 2 reserved and 0 sold
