"""Group commit for concurrent callers: one round trip serves everyone who asked meanwhile.

`Coalescer.submit(item)` waits for `flush(items)` to process `item` together with every other
item submitted while the previous flush was running. Under load the batch size adapts by itself
(no timer, no added latency when idle): a lone caller is flushed on the next loop iteration.
`Coalescer.post(item)` queues an item the same way without waiting for it, for work kept off
the response path (spec/architecture.md, guarantee 5).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


class Coalescer(Generic[T, R]):
    """Batches `submit` and `post` calls into `flush(items) -> results` (same order, same
    length).

    An exception raised by `flush` is raised to every waiting caller of that batch; a batch of
    posted items only has it logged.
    """

    def __init__(
        self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], max_batch: int = 1000
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R] | None]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue `item` and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._start()
        return await future

    def post(self, item: T) -> None:
        """Queue `item` and return at once; its result is dropped. Needs a running loop."""
        self._pending.append((item, None))
        self._start()

    @property
    def busy(self) -> bool:
        """True while items are queued or a flush is running."""
        return self._draining is not None

    def _start(self) -> None:
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._run(batch)
        finally:
            self._draining = None

    async def _run(self, batch: list[tuple[T, asyncio.Future[R] | None]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):  # never leave a caller waiting for ever
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
        except Exception as e:  # noqa: BLE001 - handed to each waiting caller
            waiting = [f for _, f in batch if f is not None and not f.done()]
            for waiter in waiting:
                waiter.set_exception(e)
            if not waiting:
                log.warning("posted_batch_failed size=%d error=%r", len(batch), e)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future is not None and not future.done():
                future.set_result(result)
