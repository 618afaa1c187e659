"""Sending booking commands to the broker behind a circuit breaker, so that a broker outage
never slows the 202 (spec/architecture.md, guarantees 1 and 8).

While the broker is healthy a new booking waits for its BookingCreated to be acknowledged (the
normal path). Once a send has failed or timed out the circuit is open: new bookings are
answered as soon as their row is committed (the row is the outbox entry) and their commands
are left to the outbox relay, except one probe every `probe_interval_s`, sent in the
background. The first send that is acknowledged again, a probe's or the relay's, closes the
circuit. Every acknowledged BookingCreated is noted in the `AckLog`.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from src.service.contract import BookingCancelled, BookingCreated
from src.service.ticketing.application.ports import AckLog, Clock, CommandPublisher, PublishFailed

log = logging.getLogger(__name__)
Command = BookingCreated | BookingCancelled


@dataclass
class Dispatch:
    """One per process, shared by the accept path and the outbox relay. `recovered` is True
    from the moment the circuit closes again until the relay has caught up."""

    publisher: CommandPublisher
    acks: AckLog
    clock: Clock
    probe_interval_s: float = 1.0
    recovered: bool = False
    _next_probe: datetime | None = None  # None: the circuit is closed
    _probing: bool = False
    _tasks: set["asyncio.Task[bool]"] = field(default_factory=set)

    @property
    def healthy(self) -> bool:
        """True while the circuit is closed: new bookings wait for the broker's ack."""
        return self._next_probe is None

    async def created(self, command: BookingCreated) -> None:
        """Send a new booking's command: wait for the ack while the circuit is closed; else
        start a background probe with it when one is due, or leave it to the relay. Never
        raises `PublishFailed` (the committed row is the outbox entry)."""
        if self._next_probe is None:
            await self.send(command)
        elif not self._probing and self.clock.now() >= self._next_probe:
            self._probing = True
            task = asyncio.get_running_loop().create_task(self._probe(command))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def send_all(self, commands: list[Command]) -> list[bool]:
        """Send concurrently (the producer batches them); per command, whether it was
        acknowledged."""
        return list(await asyncio.gather(*(self.send(c) for c in commands)))

    async def send(self, command: Command) -> bool:
        """Send one command and wait for its ack; False when it failed (logged, circuit
        opened)."""
        try:
            await self.publisher.publish(command)
        except PublishFailed as e:
            log.warning("command_publish_deferred booking_id=%s error=%r", command.booking_id, e)
            self._failed()
            return False
        self._succeeded()
        if isinstance(command, BookingCreated):
            self.acks.acked(command.booking_id)
        return True

    async def _probe(self, command: BookingCreated) -> bool:
        try:
            return await self.send(command)
        finally:
            self._probing = False

    def _failed(self) -> None:
        if self._next_probe is None:
            log.error("kafka_circuit_open probe_interval_s=%s", self.probe_interval_s)
        self._next_probe = self.clock.now() + timedelta(seconds=self.probe_interval_s)

    def _succeeded(self) -> None:
        if self._next_probe is not None:
            log.warning("kafka_circuit_closed")
            self._next_probe, self.recovered = None, True
