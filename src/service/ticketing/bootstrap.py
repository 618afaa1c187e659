"""Composition root of the ticketing service: settings → clients → adapters → use cases."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import TypedDict
from uuid import UUID

import uuid6

from src.platform.db import create_pool
from src.platform.fanout import ConflatingFanout
from src.platform.kafka import create_producer, ensure_topics, stop_quietly
from src.platform.kvrocks import create_client
from src.platform.runtime import raise_open_file_limit
from src.platform.settings import DatabaseSettings, KafkaSettings, KvrocksSettings
from src.service.contract import COMMANDS_TOPIC, DEAD_LETTER_TOPIC, event_state_key
from src.service.ticketing.adapters.kafka import KafkaCommandPublisher
from src.service.ticketing.adapters.kvrocks import (
    RedisPubSubLink,
    RedisSeatInventory,
    RedisStatusNotifier,
)
from src.service.ticketing.adapters.passwords import CommonPasswords
from src.service.ticketing.adapters.payments import MockPaymentProvider
from src.service.ticketing.adapters.postgres import PostgresUnitOfWork
from src.service.ticketing.adapters.postgres_acks import PostgresAckLog
from src.service.ticketing.adapters.postgres_inbox import PostgresBookingInbox
from src.service.ticketing.adapters.postgres_sessions import PostgresAccountLookup
from src.service.ticketing.adapters.pubsub_hub import StatusHub
from src.service.ticketing.adapters.qr import SegnoQrRenderer
from src.service.ticketing.adapters.rate_limits import LeasedRateLimiter, LimitsRateLimiter
from src.service.ticketing.adapters.security import Argon2PasswordHasher, JwtTokenCodec
from src.service.ticketing.application.add_staff import AddStaff
from src.service.ticketing.application.authenticate import Authenticate
from src.service.ticketing.application.cancel_booking import CancelBooking
from src.service.ticketing.application.cancel_event import CancelEvent
from src.service.ticketing.application.change_event_status import ChangeEventStatus
from src.service.ticketing.application.change_password import ChangePassword
from src.service.ticketing.application.check_in import CheckIn
from src.service.ticketing.application.check_in_batch import CheckInBatch
from src.service.ticketing.application.create_booking import CreateBooking
from src.service.ticketing.application.create_event import CreateEvent
from src.service.ticketing.application.dispatch import Dispatch
from src.service.ticketing.application.expire_holds import ExpireHolds
from src.service.ticketing.application.get_booking import GetBooking
from src.service.ticketing.application.get_event import GetEvent
from src.service.ticketing.application.get_ticket import GetTicket
from src.service.ticketing.application.get_user import GetUser
from src.service.ticketing.application.layouts import EventLayouts
from src.service.ticketing.application.list_bookings import ListBookings
from src.service.ticketing.application.list_events import ListEvents
from src.service.ticketing.application.list_my_tickets import ListMyTickets
from src.service.ticketing.application.list_scans import ListScans
from src.service.ticketing.application.list_seats import ListSeats
from src.service.ticketing.application.list_staff import ListStaff
from src.service.ticketing.application.log_in import LogIn
from src.service.ticketing.application.log_out import LogOut
from src.service.ticketing.application.pay_booking import PayBooking
from src.service.ticketing.application.ports import (
    AccountLookup,
    AckLog,
    BookingInbox,
    Clock,
    CommandPublisher,
    IdGenerator,
    Limit,
    PasswordHasher,
    SeatInventory,
    StatusFeed,
    StatusNotifier,
    TokenCodec,
    Unavailable,
    UnitOfWorkFactory,
)
from src.service.ticketing.application.recent_bookings import RecentBookings
from src.service.ticketing.application.refund_booking import RefundBooking
from src.service.ticketing.application.refund_ticket import RefundTicket
from src.service.ticketing.application.refunding import Refunder
from src.service.ticketing.application.register_user import RegisterUser
from src.service.ticketing.application.relay_outbox import RelayOutbox
from src.service.ticketing.application.relay_refunds import RelayRefunds
from src.service.ticketing.application.remove_staff import RemoveStaff
from src.service.ticketing.application.sessions import AccountsFromUsers, AccountStates
from src.service.ticketing.application.set_attendee import SetAttendee
from src.service.ticketing.application.stream_slots import StreamSlots
from src.service.ticketing.application.ticket_ports import PaymentProvider, QrRenderer
from src.service.ticketing.application.ticket_qr import TicketQr
from src.service.ticketing.application.transfer_ticket import TransferTicket
from src.service.ticketing.application.update_event import UpdateEvent
from src.service.ticketing.settings import TicketingSettings

log = logging.getLogger(__name__)


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """Now."""
        return datetime.now(UTC)


class Uuid7Ids:
    """Time-ordered booking ids (UUIDv7)."""

    def new_id(self) -> UUID:
        """A new UUIDv7."""
        return UUID(int=uuid6.uuid7().int)


@dataclass(frozen=True)
class TicketAdapters:
    """Adapters only the ticket use cases need; a field left None takes the default."""

    qr: QrRenderer | None = None
    payments: PaymentProvider | None = None


@dataclass(frozen=True)
class TicketUseCases:
    """The use cases of issued tickets and their door (spec/tickets.md), wired."""

    list_mine: ListMyTickets
    get: GetTicket
    qr: TicketQr
    set_attendee: SetAttendee
    add_staff: AddStaff
    remove_staff: RemoveStaff
    list_staff: ListStaff
    check_in: CheckIn
    check_in_batch: CheckInBatch
    list_scans: ListScans
    transfer: TransferTicket
    update_event: UpdateEvent
    change_status: ChangeEventStatus
    cancel_event: CancelEvent
    refund_ticket: RefundTicket
    refund_booking: RefundBooking
    relay_refunds: RelayRefunds


@dataclass(frozen=True)
class Ticketing:
    """Every use case of the service, wired, and what the entrypoints need besides; built
    once per process."""

    settings: TicketingSettings
    tokens: TokenCodec
    feed: StatusFeed
    layouts: EventLayouts
    dispatch: Dispatch
    streams: StreamSlots
    register_user: RegisterUser
    log_in: LogIn
    authenticate: Authenticate
    log_out: LogOut
    change_password: ChangePassword
    get_user: GetUser
    create_event: CreateEvent
    get_event: GetEvent
    list_events: ListEvents
    list_seats: ListSeats
    create_booking: CreateBooking
    get_booking: GetBooking
    list_bookings: ListBookings
    recent_bookings: RecentBookings
    cancel_booking: CancelBooking
    pay_booking: PayBooking
    relay_outbox: RelayOutbox
    expire_holds: ExpireHolds
    tickets: TicketUseCases

    @cached_property
    def seat_counts(self) -> ConflatingFanout:
        """The event streams' subscriptions (spec/security.md, "Stream caps"): one per event
        through `feed`, its seat and door counts handed out at most once per
        `sse_event_interval_s`, the latest of each, and less often for a crowd whose batches
        would cost more than `sse_event_budget_bytes_s` (up to `sse_event_max_interval_s`)."""
        settings = self.settings
        return ConflatingFanout(
            self.feed.subscribe, event_state_key, settings.sse_event_interval_s, Unavailable,
            budget_bytes_s=settings.sse_event_budget_bytes_s,
            max_interval_s=settings.sse_event_max_interval_s)


def build_tickets(
    settings: TicketingSettings, uow: UnitOfWorkFactory, layouts: EventLayouts, clock: Clock,
    dispatch: Dispatch, notifier: StatusNotifier, adapters: TicketAdapters | None,
) -> TicketUseCases:
    """Wire the ticket use cases; QR codes are drawn by segno and refunds paid by the mock
    provider unless `adapters` says else."""
    adapters = adapters or TicketAdapters()
    qr, payments = adapters.qr or SegnoQrRenderer(), adapters.payments or MockPaymentProvider()
    refunder = Refunder(uow, clock, payments, dispatch, notifier)
    return TicketUseCases(
        list_mine=ListMyTickets(uow), get=GetTicket(uow), qr=TicketQr(uow, qr),
        set_attendee=SetAttendee(uow), add_staff=AddStaff(uow, layouts),
        remove_staff=RemoveStaff(uow, layouts), list_staff=ListStaff(uow, layouts),
        check_in=CheckIn(uow, layouts, clock, notifier),
        check_in_batch=CheckInBatch(uow, layouts, clock, notifier),
        list_scans=ListScans(uow, layouts), transfer=TransferTicket(uow),
        update_event=UpdateEvent(uow, layouts, settings.max_seats_per_event),
        change_status=ChangeEventStatus(uow, layouts),
        cancel_event=CancelEvent(uow, layouts, dispatch, notifier, refunder),
        refund_ticket=RefundTicket(uow, refunder), refund_booking=RefundBooking(uow, refunder),
        relay_refunds=RelayRefunds(uow, layouts, payments, dispatch,
                                   retry_after_s=settings.outbox_republish_after_s),
    )


def build(
    settings: TicketingSettings, uow: UnitOfWorkFactory, inbox: BookingInbox,
    inventory: SeatInventory, publisher: CommandPublisher, acks: AckLog,
    notifier: StatusNotifier, feed: StatusFeed,
    hasher: PasswordHasher | None = None, tokens: TokenCodec | None = None,
    clock: Clock | None = None, ids: IdGenerator | None = None,
    ticket_adapters: TicketAdapters | None = None,
    accounts: AccountLookup | None = None, limiter: LimitsRateLimiter | None = None,
) -> Ticketing:
    """Wire use cases from adapters; tests pass fakes for any of them."""
    tokens = tokens or JwtTokenCodec(settings.signing_secret, settings.token_ttl_s)
    clock, layouts = clock or SystemClock(), EventLayouts(uow, settings.event_status_ttl_s)
    limiter, quota = _limiters(settings, limiter)
    dispatch = Dispatch(publisher, acks, clock, settings.publish_probe_s)
    key_ttl_s = settings.idempotency_ttl_s
    return Ticketing(
        settings=settings, tokens=tokens, feed=feed, layouts=layouts, dispatch=dispatch,
        streams=StreamSlots(settings.sse_max_per_user, settings.sse_max_per_address,
                            settings.sse_max_streams),
        **_account_use_cases(settings, uow, tokens, clock, limiter, hasher, accounts),
        get_user=GetUser(uow), create_event=CreateEvent(uow, settings.max_seats_per_event),
        get_event=GetEvent(uow), list_events=ListEvents(uow), list_seats=ListSeats(uow, layouts),
        create_booking=CreateBooking(layouts, inbox, inventory, dispatch, clock,
                                     ids or Uuid7Ids(), quota),
        get_booking=GetBooking(uow, layouts, clock), list_bookings=ListBookings(uow, clock),
        recent_bookings=RecentBookings(uow, clock),
        cancel_booking=CancelBooking(uow, dispatch, notifier, clock, key_ttl_s),
        pay_booking=PayBooking(uow, notifier, clock, key_ttl_s),
        relay_outbox=_relay(settings, uow, layouts, dispatch, notifier),
        expire_holds=ExpireHolds(uow, dispatch, notifier, clock),
        tickets=build_tickets(settings, uow, layouts, clock, dispatch, notifier, ticket_adapters),
    )


def _relay(
    settings: TicketingSettings, uow: UnitOfWorkFactory, layouts: EventLayouts,
    dispatch: Dispatch, notifier: StatusNotifier,
) -> RelayOutbox:
    return RelayOutbox(
        uow, layouts, dispatch, notifier,
        republish_after_s=settings.outbox_republish_after_s,
        backoff_cap_s=settings.outbox_backoff_cap_s,
        settle_deadline_s=settings.settle_deadline_s, key_ttl_s=settings.idempotency_ttl_s,
    )


def _limiters(
    settings: TicketingSettings, limiter: LimitsRateLimiter | None
) -> tuple[LimitsRateLimiter, LeasedRateLimiter | None]:
    """The abuse limits (in process memory unless `limiter` is given), and the per-buyer
    booking limit's leases when that limit is on (spec/security.md, "Abuse limits")."""
    limiter = limiter or LimitsRateLimiter.in_memory(limit_rules(settings))
    on = limiter.item(Limit.BOOKING_BUYER) is not None
    return limiter, LeasedRateLimiter(limiter, Limit.BOOKING_BUYER) if on else None


class _AccountUseCases(TypedDict):
    """The account use cases, as `Ticketing` fields."""

    register_user: RegisterUser
    log_in: LogIn
    authenticate: Authenticate
    log_out: LogOut
    change_password: ChangePassword


def _account_use_cases(
    settings: TicketingSettings, uow: UnitOfWorkFactory, tokens: TokenCodec, clock: Clock,
    limiter: LimitsRateLimiter, hasher: PasswordHasher | None, accounts: AccountLookup | None,
) -> _AccountUseCases:
    """Sign-up, log-in, authentication, log-out and password change, sharing one account
    cache and the shipped list of common passwords (spec/security.md, "Sessions")."""
    hasher, passwords = hasher or Argon2PasswordHasher(), CommonPasswords()
    states = AccountStates(accounts or AccountsFromUsers(uow), clock,
                           settings.session_cache_ttl_s, settings.session_cache_size)
    return _AccountUseCases(
        register_user=RegisterUser(uow, hasher, passwords, limiter, settings.seller_signup_open),
        log_in=LogIn(uow, hasher, tokens, limiter), authenticate=Authenticate(tokens, states),
        log_out=LogOut(uow, states),
        change_password=ChangePassword(uow, hasher, tokens, states, passwords, limiter),
    )


def limit_rules(settings: TicketingSettings) -> dict[Limit, str]:
    """Each abuse limit's setting (spec/security.md, "Abuse limits")."""
    return {
        Limit.LOGIN_ACCOUNT: settings.limit_login_account,
        Limit.LOGIN_ADDRESS: settings.limit_login_address,
        Limit.REGISTER_ADDRESS: settings.limit_register_address,
        Limit.BOOKING_BUYER: settings.limit_booking_buyer,
    }


OTHER_FILES = 1024  # descriptors besides the streams: pools, producer, other clients


def _open_files_for(streams: int) -> None:
    """Raise the open-file limit so that `streams` SSE streams fit (each holds a socket); warn
    when the hard limit is lower (spec/security.md, "Stream caps")."""
    wanted = streams + OTHER_FILES
    got = raise_open_file_limit(wanted)
    if got < wanted:
        log.warning("open_file_limit soft=%d wanted=%d: raise the hard limit (ulimit -Hn) or "
                    "lower TICKETING_SSE_MAX_STREAMS", got, wanted)


@asynccontextmanager
async def running(settings: TicketingSettings | None = None) -> AsyncIterator[Ticketing]:
    """Open PostgreSQL, Kvrocks and Kafka from the environment, yield the wired service, and
    close them in reverse order; the SSE streams share one pub/sub connection (`StatusHub`).
    Raises `InsecureSettings` before opening anything when the settings are only fit for
    development (spec/security.md, "Configuration")."""
    settings = settings or TicketingSettings()
    settings.check_startup()
    kvrocks = KvrocksSettings()
    _open_files_for(settings.sse_max_streams)
    if settings.development and not settings.jwt_secret.get_secret_value():
        log.warning("development mode: tokens are signed with the public development key")
    kafka, database = KafkaSettings(), DatabaseSettings()
    wait_s = database.acquire_timeout_s
    async with AsyncExitStack() as stack:
        pool = await create_pool(database)
        stack.push_async_callback(pool.close)
        redis = create_client(kvrocks)
        stack.push_async_callback(redis.aclose)
        hub = StatusHub(lambda: RedisPubSubLink.open(kvrocks), settings.sse_queue_size)
        stack.push_async_callback(hub.aclose)
        await ensure_topics(kafka, {COMMANDS_TOPIC: kafka.partitions,
                                    DEAD_LETTER_TOPIC: kafka.partitions})
        producer = create_producer(kafka)
        await producer.start()
        stack.push_async_callback(stop_quietly, producer, kafka.stop_timeout_s)
        # Written once the relay could first look at them (spec/performance.md, "Session of
        # 2026-12-02").
        acks = PostgresAckLog(pool, wait_s, delay_s=settings.outbox_republish_after_s / 2)
        stack.push_async_callback(acks.aclose)
        yield build(
            settings, uow=lambda: PostgresUnitOfWork(pool, wait_s),
            inbox=PostgresBookingInbox(pool, settings.idempotency_ttl_s, wait_s),
            inventory=RedisSeatInventory(redis),
            publisher=KafkaCommandPublisher(producer, kafka.send_timeout_s),
            acks=acks,
            notifier=RedisStatusNotifier(redis), feed=hub,
            accounts=PostgresAccountLookup(pool, wait_s),
            limiter=LimitsRateLimiter.on_kvrocks(redis, kvrocks.url, limit_rules(settings)),
        )
