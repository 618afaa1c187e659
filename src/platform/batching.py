"""Group commit for concurrent callers: one round trip serves everyone who asked meanwhile.

`Coalescer.submit(item)` waits for `flush(items)` to process `item` together with every other
item submitted while the previous flush was running. Under load the batch size adapts by itself
(no timer, no added latency when idle): a lone caller is flushed on the next loop iteration.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """Batches `submit` calls into `flush(items) -> results` (same order, same length).

    An exception raised by `flush` is raised to every caller of that batch.
    """

    def __init__(
        self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], max_batch: int = 1000
    ) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue `item` and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._run(batch)
        finally:
            self._draining = None

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as e:  # noqa: BLE001 - handed to each waiting caller
            for _, future in batch:
                if not future.done():
                    future.set_exception(e)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
