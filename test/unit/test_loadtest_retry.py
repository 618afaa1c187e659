"""The load tool's safe retries: one idempotency key per booking, retried only after a
connection error, a timeout or a 503, bounded, honouring Retry-After (no I/O)."""

import asyncio
import random

from deploy.loadtest.api import Api
from deploy.loadtest.retry import Attempt, RetryPolicy, answer, failed, key_header, with_retries
from deploy.loadtest.wire import JsonPoster, header

HEAD = (b"HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\n"
        b"Idempotent-Replayed: true\r\nRetry-After: 2\r\ncontent-length: 12\r\n\r\n")


def scripted(*statuses: int):
    """A `once` that answers with the given statuses in turn, recording each call."""
    calls: list[int] = []

    async def once() -> Attempt:
        status = statuses[len(calls)]
        calls.append(status)
        return Attempt(status, body={"id": "b1"} if status == 202 else {"detail": "x"})

    return once, calls


def test_header_reads_a_value_case_insensitively():
    assert header(HEAD, b"retry-after") == "2"
    assert header(HEAD, b"idempotent-replayed") == "true"
    assert header(HEAD, b"x-missing") is None


def test_answer_keeps_what_the_chaos_checks_need():
    got = answer(202, HEAD, b'{"id": "b1"}', sent=1.0)
    assert (got.booking_id, got.replayed, got.retry_after) == ("b1", True, 2.0)
    assert got.content_type == "application/json" and not got.retryable
    assert answer(503, b"HTTP/1.1 503 x\r\n\r\n", b"oops", 0.0).body is None


def test_a_refused_connection_is_not_ambiguous_but_a_reset_is():
    assert not failed(ConnectionRefusedError(), 0.0).ambiguous
    assert failed(ConnectionResetError(), 0.0).ambiguous
    assert failed(TimeoutError(), 0.0).retryable


def test_retries_follow_errors_and_503_then_stop_at_an_answer():
    once, calls = scripted(0, 503, 202, 202)
    policy = RetryPolicy(attempts=5, base_s=0.001, max_s=0.002)
    attempts = asyncio.run(with_retries(once, policy, random.Random(1)))
    assert [a.status for a in attempts] == [0, 503, 202] == calls


def test_retries_are_bounded_and_never_follow_a_4xx():
    once, calls = scripted(503, 503, 503, 503)
    policy = RetryPolicy(attempts=3, base_s=0.001, max_s=0.002)
    assert len(asyncio.run(with_retries(once, policy, random.Random(1)))) == 3
    once, calls = scripted(400, 202)
    assert len(asyncio.run(with_retries(once, policy, random.Random(1)))) == 1


def test_delay_doubles_within_the_cap_and_honours_retry_after():
    policy = RetryPolicy(attempts=9, base_s=1.0, max_s=4.0)
    rng = random.Random(3)
    assert 0.5 <= policy.delay(1, None, rng) <= 1.0
    assert 2.0 <= policy.delay(5, None, rng) <= 4.0
    assert policy.delay(1, 30.0, rng) == 4.0 and policy.delay(1, 0.5, rng) == 0.5


def test_every_attempt_of_a_booking_carries_the_same_key():
    sent: list[bytes] = []

    class Poster(JsonPoster):
        async def exchange(self, path, token, body, headers=b""):
            sent.append(headers)
            if len(sent) == 1:
                raise ConnectionResetError
            return 202, HEAD, b'{"id": "b1"}'

    async def book():
        api = Api("http://127.0.0.1:9", 1, 1.0, RetryPolicy(attempts=3, base_s=0.001))
        api._poster = Poster("http://127.0.0.1:9", 1.0)
        try:
            return await api.book("t", 1, "A", 1, 2), api.retried
        finally:
            await api.close()

    (status, body), retried = asyncio.run(book())
    assert (status, body, retried) == (202, {"id": "b1"}, 1)
    assert len(sent) == 2 and sent[0] == sent[1] and sent[0].startswith(b"Idempotency-Key: ")
    assert key_header("k") == b"Idempotency-Key: k\r\n"
