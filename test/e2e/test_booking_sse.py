"""Steps of booking_sse.feature (spec/booking.md, "Acceptance": live updates)."""

from pytest_bdd import given, parsers, scenarios, then, when

from test.e2e.helpers import NAME
from test.e2e.scene import Scene
from test.e2e.sse import SseListener

scenarios("booking_sse.feature")


def _stream_path(scene: Scene) -> str:
    return f"/api/booking/event/{scene.event['id']}/sse"


def _update_of(booking_id: str, status: str):
    return lambda event, data: (event == "status_update" and data["booking_id"] == booking_id
                                and data["status"] == status)


@given(parsers.re(rf"{NAME} is watching (?:her|his|their) bookings on the event"))
def watching_event_bookings(scene: Scene, name: str):
    listener = SseListener(scene.client, _stream_path(scene), scene.actors[name].headers)
    scene.listeners[name] = listener
    # The current state comes first, and only after the stream has subscribed to changes.
    listener.wait_for(_update_of(scene.booking_of(name), "pending_payment"))


@given(parsers.re(rf"{NAME} is watching that booking"))
def watching_booking(scene: Scene, name: str):
    path = f"{_stream_path(scene)}?booking_id={scene.booking}"
    listener = SseListener(scene.client, path, scene.actors[name].headers)
    scene.listeners[name] = listener
    listener.wait_for(_update_of(scene.booking, "pending_payment"))


@given("a visitor is watching the event's seat counts")
def visitor_watching_counts(scene: Scene):
    listener = SseListener(scene.client, f"/api/event/{scene.event['id']}/sse")
    scene.listeners["visitor"] = listener
    _, event = listener.wait_for(lambda name, _: name == "initial_status")
    assert event["id"] == scene.event["id"]
    assert [(s["available"], s["reserved"]) for s in event["subsections"]] == [(6, 0)]


@when("a visitor who is not signed in opens the booking stream of the event")
def anonymous_stream(scene: Scene):
    scene.response = scene.client.get(_stream_path(scene), timeout=5.0)


@then(parsers.re(r"the stream stays open while (?:her|his|their) first booking awaits payment"))
def stream_stays_open(scene: Scene):
    (listener,) = scene.listeners.values()
    later = listener.drain(1.0)
    assert ("close", {}) not in later, later
    assert listener.result is None, "the stream ended while a booking was still open"


@then(parsers.re(r"the visitor sees the subsection go to (?P<available>\d+) available and "
                 r"(?P<reserved>\d+) reserved"),
      converters={"available": int, "reserved": int})
def visitor_sees_counts(scene: Scene, available: int, reserved: int):
    def wanted(name: str, data: object) -> bool:
        return name == "status_update" and (data["available"], data["reserved"]) == (
            available, reserved)
    _, state = scene.listeners["visitor"].wait_for(wanted)
    assert (state["event_id"], state["section"], state["subsection"]) == (
        scene.event["id"], "A", 1)
