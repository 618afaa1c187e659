"""PostgreSQL connection pool factory (asyncpg).

Adapters speak SQL through asyncpg directly: the booking pipeline leans on COPY, arrays and
`unnest` set operations, which the driver exposes without a translation layer. Schema changes
go through Alembic (see `src/platform/migrations`).
"""

import asyncpg

from src.platform.settings import DatabaseSettings

# Errors that mean "PostgreSQL cannot serve us right now", not "this statement is wrong": the
# server is unreachable, refusing, starting or shutting down, out of connections or resources,
# the connection broke or the pool is closed, a pool acquire or a command timed out, or the
# transaction was rolled back by a deadlock or serialization failure. Adapters turn them into
# their service's "unavailable" error (an HTTP 503; spec/architecture.md, "HTTP conventions").
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.TransactionRollbackError,
)


def asyncpg_dsn(url: str) -> str:
    """Strip an SQLAlchemy driver suffix: 'postgresql+asyncpg://…' → 'postgresql://…'."""
    scheme, sep, rest = url.partition("://")
    return scheme.split("+", 1)[0] + sep + rest


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Reset hook for released connections: nothing to undo.

    asyncpg's default reset sends `RESET ALL; UNLISTEN *; CLOSE ALL; …` on every release, a
    round trip per booking batch on the hot path. Our adapters leave no session state behind
    (no SET, LISTEN, advisory lock or open cursor), and asyncpg still rolls back a transaction
    left open before it calls this hook.
    """


async def create_pool(settings: DatabaseSettings) -> asyncpg.Pool:
    """Open a pool of `pool_min`..`pool_max` connections; the caller closes it."""
    return await asyncpg.create_pool(
        asyncpg_dsn(settings.url),
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        command_timeout=30,
        reset=_keep_session,
    )
