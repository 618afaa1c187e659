"""Demo data for `make run`: a seller, a buyer and an event; prints how to try the API.

Usage: python deploy/local/demo.py http://127.0.0.1:8000
"""

import json
import sys

import httpx

SELLER = {"email": "seller@demo.example", "password": "demo-password", "name": "Demo Seller",
          "role": "seller"}
BUYER = {"email": "buyer@demo.example", "password": "demo-password", "name": "Demo Buyer",
         "role": "buyer"}
EVENT = {
    "name": "Demo concert",
    "description": "Two sections, two subsections each, 10 rows of 20 seats",
    "venue_name": "Demo hall",
    "seating_config": {"rows": 10, "cols": 20, "sections": [
        {"name": "A", "price": 3000, "subsections": 2},
        {"name": "B", "price": 2000, "subsections": 2},
    ]},
}


def login(client: httpx.Client, user: dict) -> None:
    """Register `user` unless it exists, then log in (the client keeps the cookie)."""
    client.post("/api/user", json=user)
    response = client.post("/api/user/login",
                           json={"email": user["email"], "password": user["password"]})
    response.raise_for_status()


def main(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        login(client, SELLER)
        response = client.post("/api/event", json=EVENT)
        response.raise_for_status()
        event_id = response.json()["id"]
        client.cookies.clear()
        login(client, BUYER)
    booking = json.dumps({"event_id": event_id, "section": "A", "subsection": 1, "quantity": 2,
                          "seat_selection_mode": "best_available", "seat_positions": []})
    jar = "/tmp/ticketing-demo.cookies"
    print(f"""
Seat ticketing is up.
  API:      {base}
  OpenAPI:  {base}/docs
  Event:    {base}/api/event/{event_id}   (id {event_id}, 800 seats)
  Buyer:    {BUYER['email']} / {BUYER['password']}    Seller: {SELLER['email']} / same password

Try it (copy-paste):
  curl -s -c {jar} -H 'Content-Type: application/json' \\
       -d '{{"email": "{BUYER['email']}", "password": "{BUYER['password']}"}}' \\
       {base}/api/user/login
  curl -s -b {jar} -H 'Content-Type: application/json' -d '{booking}' {base}/api/booking
  curl -N -b {jar} {base}/api/booking/event/{event_id}/sse
The booking is accepted with 202 (processing); the SSE stream shows it pending_payment.
{after_payment(base, event_id, jar)}""")


def after_payment(base: str, event_id: int, jar: str) -> str:
    """The copy-paste walk from a booking to the door: pay, the ticket's QR code, check-in by
    the seller (spec/tickets.md, rules 1, 6 and 9)."""
    field = "python3 -c 'import json,sys; print(json.load(sys.stdin){})'"
    seller_jar = jar.replace(".cookies", "-seller.cookies")
    book = json.dumps({"event_id": event_id, "section": "B", "subsection": 1, "quantity": 1,
                       "seat_selection_mode": "best_available", "seat_positions": []})
    check_in = '{"code": "\'$CODE\'", "gate": "Main"}'
    return f"""
Pay, show the QR code, check in at the door (copy-paste, after the login above):
  BOOKING=$(curl -s -b {jar} -H 'Content-Type: application/json' -d '{book}' \\
       {base}/api/booking | {field.format('["id"]')}); sleep 1
  curl -s -b {jar} -X POST {base}/api/booking/$BOOKING/pay
  TICKET=$(curl -s -b {jar} "{base}/api/ticket/my?event_id={event_id}" \\
       | {field.format('["items"][0]["id"]')})
  curl -s -b {jar} -o /tmp/ticket.png {base}/api/ticket/$TICKET/qr.png   # the QR to show
  CODE=$(curl -s -b {jar} {base}/api/ticket/$TICKET | {field.format('["code"]')})
  curl -s -c {seller_jar} -H 'Content-Type: application/json' \\
       -d '{{"email": "{SELLER['email']}", "password": "{SELLER['password']}"}}' \\
       {base}/api/user/login
  curl -s -b {seller_jar} -H 'Content-Type: application/json' \\
       -d '{check_in}' {base}/api/event/{event_id}/check-in
The first scan answers 200 checked_in; the same command again answers 409 "Ticket already
checked in …" with the first scan's time and gate.
"""


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
