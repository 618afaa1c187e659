"""Server timeouts over real sockets: a JSON body that stops arriving is answered 408 and the
connection closed within `TICKETING_BODY_TIMEOUT_S`, also on the booking fast path, and an idle
keep-alive connection is closed after the launcher's `TICKETING_KEEP_ALIVE_S` (spec/security.md,
"Timeouts")."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest

from test.e2e.conftest import BODY_TIMEOUT_S, KEEP_ALIVE_S

SLACK_S = 2.0  # scheduling on a shared machine, and the deadline watchdog's tick


def connect(base_url: str) -> socket.socket:
    parts = urlsplit(base_url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("path", ["/api/booking", "/api/user"])
def test_headers_and_one_byte_then_nothing_is_answered_408_and_closed_in_time(base_url, path):
    with connect(base_url) as sock:
        sock.sendall(b"POST %s HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{" % path.encode())
        started = time.monotonic()
        answer = read_until_closed(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
    assert answer.endswith(b'{"detail": "Request body not received in time"}')
    assert b"\r\nconnection: close\r\n" in answer.lower()
    assert BODY_TIMEOUT_S - 0.5 <= waited < BODY_TIMEOUT_S + SLACK_S


def test_an_idle_keep_alive_connection_is_closed_by_the_server(base_url):
    with connect(base_url) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        head = b""
        while b'{"status":"ok"}' not in head:
            head += sock.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 ") and b"connection: close" not in head.lower()
        started = time.monotonic()
        assert read_until_closed(sock) == b""  # nothing more, then the close
        idle = time.monotonic() - started
    assert KEEP_ALIVE_S - 0.5 <= idle < KEEP_ALIVE_S + SLACK_S
