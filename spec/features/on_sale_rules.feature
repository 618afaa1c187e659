Feature: On-sale rules: per-buyer limits, sale windows and section prices
  A seller may limit how many tickets one buyer holds of an event, allow one open booking per
  buyer, open and close sales at set times, and change a section's price; bookings made
  before a price change keep their price. spec/booking.md, rules 10–13.

  Scenario: A buyer who reached the event's ticket limit is refused at once
    Given a seller has an event on sale with 3 rows of 4 seats at 1000 each
    And the seller allows 4 tickets per buyer
    And Alice is a buyer
    And Bob is a buyer
    And Alice has a pending_payment booking for seats 1-1, 1-2, 1-3
    When Alice books 2 seats with best available
    Then the request is rejected with 400 "Purchase limit reached: at most 4 tickets per buyer for this event, you already have 3"
    When Bob books 4 seats with best available
    Then the booking is accepted as processing
    When Alice books 1 seat with best available
    Then the booking is accepted as processing
    When Alice cancels Alice's booking
    And Alice books 1 seat with best available
    Then the booking is accepted as processing

  Scenario: A second open booking is refused while one booking per buyer is allowed
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And the seller allows one open booking per buyer
    And Alice is a buyer
    And Alice has a pending_payment booking for seats 1-1
    When Alice books seats 2-1
    Then the request is rejected with 409 "You already have an open booking on this event"
    When Alice pays for the booking
    And Alice books seats 2-1
    Then the booking is accepted as processing

  Scenario: Bookings before and after the sale window are refused
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And the seller opens sales in one hour
    And Alice is a buyer
    When Alice books seats 1-1
    Then the request is rejected with 400 starting "Sales have not started: they open at "
    And the event shows its sales closed
    When the seller opens sales now
    Then the event shows its sales open
    When Alice books seats 1-1
    Then the booking is accepted as processing
    When the seller ends sales now
    And Alice books seats 1-2
    Then the request is rejected with 400 "Sales have ended"

  Scenario: A price change is paid only by bookings made after it
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer
    And Alice has a pending_payment booking for seats 1-1
    When the seller sets the price of section A to 1500
    And Alice books seats 2-1
    Then the booking is accepted as processing
    And the booking becomes pending_payment
    And Alice's bookings cost 1000 and 1500
    When the seller changes the layout to 3 rows of 3 seats
    Then the request is rejected with 400 "The seating layout cannot change after the first booking; prices can"
