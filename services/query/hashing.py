"""Password verification on a small dedicated thread pool with a bounded waiting line.

argon2 costs tens of milliseconds of CPU and 64 MiB per verification. On the event
loop's default thread pool a login flood would take every core from the read API; here
at most `threads` verifications run at once, at most `queue` logins wait, and the next
one is answered 503 at once instead of waiting behind an unbounded line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

from services.contracts.errors import ApiError
from services.contracts.settings import Settings

_hasher = PasswordHasher()


@cache
def unknown_user_hash() -> str:
    """Verified against when the email is unknown, so that path costs the same."""
    return _hasher.hash("not a password anyone has")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (Argon2Error, InvalidHashError):
        return False


def hash_threads(settings: Settings) -> int:
    return settings.login_hash_threads or max(1, (os.cpu_count() or 2) // 2)


class PasswordPool:
    def __init__(self, settings: Settings) -> None:
        self.threads = hash_threads(settings)
        self._capacity = self.threads + settings.login_hash_queue
        self._admitted = 0  # running or waiting; only touched on the event loop's thread
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="argon2")

    async def verify(self, password_hash: str, password: str) -> bool:
        if self._admitted >= self._capacity:
            raise ApiError(503, "login_busy", "too many logins at once; try again shortly",
                           {"Retry-After": "1"})  # fmt: skip
        self._admitted += 1
        loop = asyncio.get_running_loop()
        work = self._executor.submit(_verify, password_hash, password)
        # Released when the thread is done, not when the caller gives up: a cancelled
        # request's verification still occupies its thread until it finishes.
        work.add_done_callback(lambda _: self._release_from_thread(loop))
        return await asyncio.wrap_future(work)

    def _release_from_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed at shutdown
            loop.call_soon_threadsafe(self._release)

    def _release(self) -> None:
        self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
