"""The PostgreSQL pool against the real server: skipping asyncpg's session reset on release
must still never hand out a connection inside someone else's transaction."""

from src.platform.db import create_pool


async def test_released_connection_never_keeps_an_open_transaction(database_settings):
    pool = await create_pool(database_settings.model_copy(update={"pool_min": 1, "pool_max": 1}))
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE left_open (x int) ON COMMIT DROP")
        async with pool.acquire() as conn:
            open_xact = await conn.fetchval("SELECT count(*) FROM pg_class WHERE relname = $1",
                                            "left_open")
            in_transaction = conn.is_in_transaction()
    finally:
        await pool.close()
    assert not in_transaction
    assert open_xact == 0
