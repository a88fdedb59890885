"""The admin service's fixtures: the real app logged in as its own role, and projects
with deploy tokens made by the real `vitals deploy-token create`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from services.admin.app import create_app
from services.contracts.settings import Settings


@pytest.fixture
async def admin(settings: Settings) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The real admin app, its lifespan (the vitals_admin pool) running."""
    async with AsyncTestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def make_token(cli):  # type: ignore[no-untyped-def]
    """`make_token(slug)`: a project (made if new) and a fresh deploy token of it."""

    def make(slug: str) -> str:
        cli("project", "create", slug, check=False)  # refused when it exists already
        created = json.loads(
            cli("deploy-token", "create", "--project", slug, "--label", "CI").stdout
        )
        token: str = created["token"]
        return token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
