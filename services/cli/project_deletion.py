"""`vitals project delete SLUG`: the admin API's deletion from the operator's shell.

The slug is asked for again (or given with `--confirm SLUG`, for scripts); then the
project is marked deleted, its keys and deploy tokens revoked, its grants removed and
its members' and owners' tokens ended in one transaction, its keys withdrawn from the
Redis key registry, and the workers' purge job queued
(services/contracts/project_deletion.py, services/workers/purge.py).
"""

from __future__ import annotations

import argparse
import asyncio

from services.cli import catalog
from services.contracts import key_registry as registry
from services.contracts.project_deletion import enqueue_purge, mark_deleted
from services.contracts.redis_client import async_redis, sync_redis
from services.contracts.settings import Settings


async def cmd_project_delete(settings: Settings, args: argparse.Namespace) -> None:
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        confirm = args.confirm
        if confirm is None:
            print(f"This deletes project {project.slug!r} (id {project.id}) and all its data.")
            try:
                confirm = (await asyncio.to_thread(input, "Type its slug to confirm: ")).strip()
            except EOFError:  # no terminal to ask: nothing is confirmed
                confirm = ""
        if confirm != project.slug:
            raise catalog.CatalogError("the slug typed does not match; nothing was deleted")
        async with connection.transaction():
            deletion = await mark_deleted(connection, project.id)
        if deletion is None:
            raise catalog.CatalogError(f"project {project.slug!r} is being deleted already")
    finally:
        await connection.close()
    client = async_redis(settings)
    try:
        await registry.withdraw(client, deletion.key_hashes)
    finally:
        await client.aclose()
    queue = sync_redis(settings)
    try:
        enqueue_purge(queue, project.id)
    finally:
        queue.close()
    print(
        f"project {project.slug!r} deleted: {len(deletion.key_hashes)} key(s) revoked,"
        f" {len(deletion.users)} user(s) signed out; its data is being purged by the workers"
    )


def add_delete(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(command=cmd_project_delete)
    parser.add_argument("project", help="slug or id")
    parser.add_argument("--confirm", metavar="SLUG", help="the slug again (no prompt)")
