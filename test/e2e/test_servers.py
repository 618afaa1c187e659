"""Both supported ASGI servers, started by the launcher (`entrypoints/serve.py`): the same
smoke set against an API process under uvicorn and one under Granian, beside the tier's main
API on the default server (spec/performance.md, "Servers and the listen backlog"). Each gets
the tier's settings and the tier's reservation consumer."""

from __future__ import annotations

import os
import random
import signal

import httpx
import pytest
import redis

from test.e2e import processes
from test.e2e.conftest import API_ENV, BODY_TIMEOUT_S, KEEP_ALIVE_S, Services
from test.e2e.helpers import FINAL, PASSWORD, book, create_event, expect, new_client, sign_up
from test.e2e.sse import SseListener
from test.e2e.test_timeouts import SLACK_S, connect, read_until_closed

SERVERS = ("uvicorn", "granian")


def _start(name: str, server: str) -> tuple[str, processes.Service]:
    port = processes.free_port()
    api = processes.start_api(name, port, API_ENV, server=server)
    processes.wait_healthy(f"http://127.0.0.1:{port}", api)
    return f"http://127.0.0.1:{port}", api


@pytest.fixture(scope="session", params=SERVERS)
def server_api(request, services: Services):
    """(server name, a client of an API process under it), for the session."""
    base_url, api = _start(f"ticketing-{request.param}", request.param)
    try:
        with new_client(base_url) as client:
            yield request.param, client
    finally:
        api.stop()


def test_a_booking_is_made_heard_on_its_stream_and_paid(server_api):
    _, client = server_api
    seller, buyer = sign_up(client, "seller"), sign_up(client, "buyer")
    event = create_event(client, seller, rows=1, cols=4)
    booking = expect(book(client, buyer, event["id"], quantity=2), 202)
    stream = SseListener(client, f"/api/booking/event/{event['id']}/sse?booking_id="
                                 f"{booking['id']}", buyer.headers)
    try:
        _, update = stream.wait_for(lambda name, data: name == "status_update"
                                    and data["status"] in FINAL, timeout=30.0)
    finally:
        stream.close()
    assert (update["booking_id"], update["status"]) == (booking["id"], "pending_payment")
    paid = expect(client.post(f"/api/booking/{booking['id']}/pay", headers=buyer.headers), 200)
    assert paid["status"] == "completed"


def test_an_oversized_body_is_refused_with_413(server_api):
    _, client = server_api
    buyer = sign_up(client, "buyer")
    body = b'{"event_id": 1, "pad": "' + b"x" * 70_000 + b'"}'
    response = client.post("/api/booking", content=body, headers=buyer.headers
                           | {"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (413, {"detail": "Request body too large"})


def test_a_slow_body_is_answered_408_and_an_idle_connection_closed(server_api):
    client = server_api[1]
    with connect(str(client.base_url)) as sock:
        sock.sendall(b"POST /api/user HTTP/1.1\r\nHost: test\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100\r\n\r\n{")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert answer.endswith(b'{"detail": "Request body not received in time"}')
    with connect(str(client.base_url)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        head = b""
        while b'{"status":"ok"}' not in head:
            head += sock.recv(65536)
        sock.settimeout(KEEP_ALIVE_S + BODY_TIMEOUT_S + SLACK_S)
        assert read_until_closed(sock) == b""  # closed by the server, not by our timeout


def test_the_docs_load_with_their_assets(server_api):
    _, client = server_api
    page = client.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert client.get("/openapi.json").json()["paths"]["/api/booking"]
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_rate_limits_count_the_forwarded_client_address(server_api):
    """From the trusted proxy (127.0.0.1), `X-Forwarded-For` names the client, as
    `credentials.client_address` reads it; the sign-up limit counts under that address."""
    _, client = server_api
    address = f"198.51.100.{random.randrange(1, 255)}"
    user = {"email": f"xff-{random.getrandbits(48):x}@e2e.example", "password": PASSWORD,
            "name": "X", "role": "buyer"}
    expect(client.post("/api/user", json=user, headers={"X-Forwarded-For": address}), 201)
    with redis.Redis.from_url(os.environ["KVROCKS_URL"]) as kvrocks:
        keys = list(kvrocks.scan_iter(match=f"ratelimit*register_address/{address}/*"))
    assert keys, f"no rate-limit key for {address}"


@pytest.mark.parametrize("server", SERVERS)
def test_sigterm_stops_the_api_gracefully_with_a_stream_open(services, server):
    base_url, api = _start(f"ticketing-{server}-stop", server)
    with new_client(base_url) as client:
        seller = sign_up(client, "seller")
        event = create_event(client, seller, rows=1, cols=1)
        stream = SseListener(client, f"/api/event/{event['id']}/sse")
        try:
            stream.wait_for(lambda name, _: name == "initial_status")
            api.popen.send_signal(signal.SIGTERM)
            returncode = api.popen.wait(20)
        except BaseException:
            api.stop()
            raise
        finally:
            stream.close()
    log = api.log_path.read_text(errors="replace")
    # uvicorn in one process re-raises the signal once it has stopped gracefully
    assert returncode in (0, -signal.SIGTERM), api.tail()
    assert "ticketing_stopped" in log, api.tail()  # lifespan shutdown ran to its end
    assert "Traceback" not in log, api.tail()


def test_a_request_the_server_cannot_parse_is_not_a_500(server_api):
    client = server_api[1]
    with connect(str(client.base_url)) as sock:
        sock.sendall(b"GARBAGE\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:80]
    assert httpx.get(f"{client.base_url}/health").status_code == 200
