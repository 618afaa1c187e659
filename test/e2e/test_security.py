"""The running service's security rules, over real HTTP (spec/security.md)."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack

from test.e2e import processes
from test.e2e.helpers import create_event, expect, sign_up, wait_until


def test_the_service_refuses_to_start_without_a_signing_secret():
    port = processes.free_port()
    service = processes.start_api("ticketing-no-secret", port,
                                  {"TICKETING_JWT_SECRET": "", "TICKETING_ENV": "production"})
    try:
        returncode = service.popen.wait(60)
    except subprocess.TimeoutExpired:
        service.stop()
        raise AssertionError("started without a secret\n" + service.tail()) from None
    assert returncode != 0
    assert "TICKETING_JWT_SECRET must be set" in service.log_path.read_text()


def test_inputs_that_once_reached_postgresql_are_refused_with_400(client):
    seller = sign_up(client, "seller")
    layout = {"rows": 1, "cols": 1, "sections": [{"name": "A", "price": 1, "subsections": 1}]}
    for body in ({"name": "Show\x00", "seating_config": layout},
                 {"name": "Show", "seating_config": layout | {"sections": [
                     {"name": "A", "price": 2**40, "subsections": 1}]}}):
        expect(client.post("/api/event", json=body, headers=seller.headers), 400)
    expect(client.get("/api/event", params={"seller_id": 2**31}), 400)
    expect(client.get(f"/api/event/{2**31}"), 404)
    response = client.post("/api/booking", content=b'{"event_id": 1}', headers=seller.headers)
    assert response.status_code == 415
    assert response.headers["x-content-type-options"] == "nosniff"


def test_logout_revokes_and_login_floods_get_429(client):
    buyer = sign_up(client, "buyer")
    expect(client.post("/api/user/logout", headers=buyer.headers), 204)
    expect(client.get("/api/user", headers=buyer.headers), 401)
    wrong = {"email": buyer.email, "password": "not-the-password"}
    statuses = [client.post("/api/user/login", json=wrong).status_code for _ in range(10)]
    assert set(statuses[:9]) == {401}  # sign_up logged in once already
    flood = client.post("/api/user/login", json=wrong)
    assert (flood.status_code, flood.json()) == (429, {"detail": "Too many requests"})
    assert 1 <= int(flood.headers["retry-after"]) <= 60


def test_open_booking_streams_are_capped_per_user_and_freed_when_closed(client):
    seller, buyer = sign_up(client, "seller"), sign_up(client, "buyer")
    path = f"/api/booking/event/{create_event(client, seller, 1, 1)['id']}/sse"
    with ExitStack() as streams:
        opened = [streams.enter_context(client.stream("GET", path, headers=buyer.headers))
                  for _ in range(10)]  # TICKETING_SSE_MAX_PER_USER
        assert [r.status_code for r in opened] == [200] * 10
        over = client.get(path, headers=buyer.headers)
        assert (over.status_code, over.json()) == (
            429, {"detail": "Too many open streams for this user"})
        assert over.headers["retry-after"] == "5"
        opened[0].close()
        def reopened() -> int:
            with client.stream("GET", path, headers=buyer.headers) as again:
                return again.status_code
        assert wait_until(lambda: reopened() == 200 or None, "a freed stream slot") is True
