"""Group commit: concurrent submits share flushes, results and errors reach each caller."""

import asyncio

import pytest

from src.platform.batching import Coalescer


async def test_concurrent_submits_share_one_flush_and_get_their_own_results():
    flushed: list[list[int]] = []

    async def flush(items):
        flushed.append(items)
        await asyncio.sleep(0)
        return [i * 10 for i in items]

    coalescer = Coalescer(flush)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(5)))
    assert results == [0, 10, 20, 30, 40]
    assert flushed == [[0, 1, 2, 3, 4]]


async def test_items_arriving_during_a_flush_go_in_the_next_one():
    flushed: list[list[str]] = []
    gate = asyncio.Event()

    async def flush(items):
        flushed.append(items)
        if len(flushed) == 1:
            await gate.wait()
        return items

    coalescer = Coalescer(flush)
    first = asyncio.create_task(coalescer.submit("a"))
    await asyncio.sleep(0.01)
    later = [asyncio.create_task(coalescer.submit(x)) for x in "bc"]
    await asyncio.sleep(0.01)
    gate.set()
    assert await first == "a" and [await t for t in later] == ["b", "c"]
    assert flushed == [["a"], ["b", "c"]]


async def test_max_batch_splits_a_large_backlog():
    sizes: list[int] = []

    async def flush(items):
        sizes.append(len(items))
        return items

    coalescer = Coalescer(flush, max_batch=3)
    await asyncio.gather(*(coalescer.submit(i) for i in range(7)))
    assert sizes == [3, 3, 1]


async def test_a_failed_flush_fails_every_caller_of_that_batch_only():
    calls = 0

    async def flush(items):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("down")
        return items

    coalescer = Coalescer(flush)
    failed = await asyncio.gather(coalescer.submit(1), coalescer.submit(2),
                                  return_exceptions=True)
    assert all(isinstance(f, ConnectionError) for f in failed)
    assert await coalescer.submit(3) == 3
    with pytest.raises(ConnectionError):
        raise failed[0]


async def test_posted_items_are_flushed_in_the_background_and_a_failure_is_only_logged(caplog):
    flushed: list[list[int]] = []

    async def flush(items):
        flushed.append(items)
        if 0 in items:
            raise ConnectionError("down")
        return items

    coalescer = Coalescer(flush)
    coalescer.post(0)
    coalescer.post(1)
    assert flushed == []  # posting never waits for the flush
    await asyncio.sleep(0.01)
    coalescer.post(2)
    assert await coalescer.submit(3) == 3
    assert flushed == [[0, 1], [2, 3]]
    assert "posted_batch_failed size=2" in caplog.text


async def test_a_flush_returning_too_few_results_fails_its_callers_instead_of_hanging():
    async def flush(items):
        return items[:1]

    coalescer = Coalescer(flush)
    results = await asyncio.wait_for(asyncio.gather(
        coalescer.submit(1), coalescer.submit(2), return_exceptions=True), 1)
    assert all(isinstance(r, RuntimeError) for r in results)
