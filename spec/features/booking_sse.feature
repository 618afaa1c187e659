Feature: Live booking status over Server-Sent Events
  After the 202 the buyer keeps a stream open on
  GET /api/booking/event/{event_id}/sse and is told each change of their bookings
  on that event ("status_update"); the stream ends with "close" once every booking
  it watches is final. Anyone may also watch an event's seat counts change.
  spec/booking.md, "Acceptance", live updates.

  Background:
    Given a seller has an event on sale with 2 rows of 3 seats at 1000 each
    And Alice is a buyer

  Scenario: Authenticated users can connect to SSE to receive booking status updates
    Given Alice has a pending_payment booking for seats 1-1
    And Alice is watching her bookings on the event
    When Alice books seats 1-2, 1-3
    Then Alice is told the booking is pending_payment with seats 1-2, 1-3
    When Alice pays for the booking
    Then Alice is told the booking is completed with seats 1-2, 1-3
    And the stream stays open while her first booking awaits payment

  Scenario: Unauthenticated users connecting to SSE get 401
    When a visitor who is not signed in opens the booking stream of the event
    Then the request is rejected with 401 "Not authenticated"

  Scenario Outline: The SSE connection closes by itself when the booking reaches <final>
    Given Alice has a pending_payment booking for seats 2-1
    And Alice is watching that booking
    When Alice <action> the booking
    Then Alice is told the booking is <final> with seats 2-1
    And the stream closes by itself

    Examples:
      | action   | final     |
      | pays for | completed |
      | cancels  | cancelled |

  Scenario: Anyone can watch the seat counts of an event change
    Given a visitor is watching the event's seat counts
    When Alice books seats 2-2, 2-3
    Then the visitor sees the subsection go to 4 available and 2 reserved
