"""What the workers' SQL functions take: a pooled connection or a plain one (tests, CLI).

asyncpg's pool hands out proxies that behave as connections but are not typed as such.
(A candidate for `services.contracts.database`, which other services could use too.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:  # the stubs' generics do not exist at run time
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    Connection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]
else:
    Connection = object
