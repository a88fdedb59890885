"""When `vitals up` starts a child again: exponential backoff, and a crash loop named as one.

A child that exits is restarted after a delay that doubles with each quick exit, up to a cap,
and starts again from the first delay once the child has stayed up for a while. A child that
exits many times within a window is crash-looping: it is still restarted (a dependency may
come back), but no faster than the cap allows, and the supervisor says so loudly.
"""

from __future__ import annotations

from collections import deque

import msgspec


class RestartPolicy(msgspec.Struct, frozen=True):
    first_delay_s: float = 0.5
    # 30 s: a crash loop costs a couple of lines a minute, and a fixed dependency is
    # noticed within half a minute.
    max_delay_s: float = 30.0
    # Up this long, a child is healthy again: its next exit starts from the first delay.
    stable_after_s: float = 30.0
    crash_loop_exits: int = 5
    crash_loop_window_s: float = 60.0
    # SIGTERM, then SIGKILL after this long: time for a worker to hand its job back.
    stop_grace_s: float = 10.0


class Restarts:
    """The exit history of one child: how long to wait before starting it again."""

    def __init__(self, policy: RestartPolicy) -> None:
        self._policy = policy
        self._next_delay_s = policy.first_delay_s
        self._exits: deque[float] = deque()

    def after_exit(self, uptime_s: float, now: float) -> float:
        """Records an exit at `now` after `uptime_s` up; the delay before the next start."""
        policy = self._policy
        if uptime_s >= policy.stable_after_s:
            self._next_delay_s = policy.first_delay_s
        delay = self._next_delay_s
        self._next_delay_s = min(delay * 2, policy.max_delay_s)
        self._exits.append(now)
        while self._exits[0] < now - policy.crash_loop_window_s:
            self._exits.popleft()
        return delay

    @property
    def window_s(self) -> float:
        return self._policy.crash_loop_window_s

    @property
    def recent_exits(self) -> int:
        return len(self._exits)

    @property
    def crash_looping(self) -> bool:
        return len(self._exits) >= self._policy.crash_loop_exits
