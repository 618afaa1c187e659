"""Alembic environment: runs migrations over SQLAlchemy's async engine (asyncpg driver)."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from src.platform.db import asyncpg_dsn
from src.platform.settings import DatabaseSettings


def _do_run(connection) -> None:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


async def _run() -> None:
    url = asyncpg_dsn(DatabaseSettings().url).replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_do_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_run())
