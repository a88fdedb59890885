"""One run of the notification sender in a process of its own, for the tests that kill it
(`python -m tests.support.alert_sender`, settings from VITALS_* as every process reads)."""

from __future__ import annotations

import asyncio

import msgspec

from services.contracts.database import create_pool
from services.contracts.settings import Settings
from services.workers.alerts.delivery import deliver_pending


async def main() -> None:
    settings = Settings.from_env()
    pool = await create_pool(settings, "workers-test", min_size=0, max_size=2)
    try:
        summary = await deliver_pending(pool, settings)
    finally:
        await pool.close()
    print(msgspec.json.encode(summary).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
