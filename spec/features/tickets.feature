Feature: Tickets after payment
  Paying a booking issues one ticket per seat, each with an unguessable code that its QR
  code encodes. The holder names an attendee; the event's seller sees the ticket but never
  its code. spec/tickets.md.

  Background:
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer

  Scenario: A paid booking gives its buyer one valid ticket per seat, with a QR code
    Given Alice has a pending_payment booking for seats 1-1, 1-2
    When Alice pays for the booking
    Then Alice holds valid tickets for seats 1-1, 1-2 at 1000 each
    And the QR code of Alice's ticket for seat 1-1 draws its code

  Scenario: The holder names the attendee; the seller sees the ticket without its code
    Given Alice holds a paid ticket for seat 2-2
    When Alice names "Ann Lee" <ann@example.com> as the attendee of seat 2-2
    Then the ticket for seat 2-2 shows the attendee "Ann Lee"
    And the seller sees the ticket for seat 2-2 without its code
    And Mallory, another buyer, cannot see the ticket for seat 2-2

  Scenario: The door admits a ticket once and logs every scan
    Given Alice holds a paid ticket for seat 1-3
    And Gil is a buyer
    And the seller adds Gil as door staff
    When Gil scans Alice's ticket for seat 1-3 at gate "North"
    Then the ticket is admitted at gate "North"
    When the seller scans the same code at gate "South"
    Then the scan is refused with 409 naming gate "North"
    And the event shows 1 checked in of 1 sold
    And the scan log shows checked_in, already_checked_in

  Scenario: After a transfer the old code is refused and the new one admitted once
    Given Alice holds a paid ticket for seat 2-1
    And Bob is a buyer
    Then the QR code of Alice's ticket for seat 2-1 draws its code
    When Alice names "Ann Lee" <ann@example.com> as the attendee of seat 2-1
    And Alice transfers her ticket for seat 2-1 to Bob
    Then Alice's ticket for seat 2-1 is transferred
    And Bob holds a valid ticket for seat 2-1 with a new code
    When the seller scans Alice's old code at gate "Main"
    Then the request is rejected with 409 "Ticket was transferred: this code is no longer valid"
    When the seller scans Bob's ticket for seat 2-1 at gate "Main"
    Then the ticket is admitted at gate "Main"
    When the seller scans the same code at gate "Side"
    Then the scan is refused with 409 naming gate "Main"

  Scenario: A refunded seat goes back on sale and another buyer gets it
    Given the event starts in 30 days
    And Alice has a pending_payment booking for seats 1-1, 1-2
    And Alice pays for the booking
    And Bob is a buyer
    When Alice refunds her ticket for seat 1-1
    Then she is paid back 1000, all of its price
    And seats 1-1 are available on the seat map
    And the subsection shows 5 available, 0 reserved and 1 sold
    When Bob books seat 1-1 as soon as it is free
    Then the booking becomes pending_payment
    And Bob cannot book seat 1-2, which Alice still holds

  Scenario: Too close to the event a refund is refused and the ticket stays valid
    Given the event starts in 2 days
    And Alice holds a paid ticket for seat 2-3
    When Alice refunds her ticket for seat 2-3
    Then the request is rejected with 400 "Too late for a refund: refunds close 3 days before the event"
    And Alice holds valid tickets for seats 2-3 at 1000 each
