"""The restart policy of `vitals up`: doubling delays up to a cap, a fresh start after a
stable run, and a crash loop counted within its window."""

from __future__ import annotations

from services.cli.restarts import RestartPolicy, Restarts

POLICY = RestartPolicy(
    first_delay_s=0.5, max_delay_s=4, stable_after_s=30, crash_loop_exits=3, crash_loop_window_s=60
)


class TestRestarts:
    def test_quick_exits_double_the_delay_up_to_the_cap(self) -> None:
        """Each exit soon after a start doubles the next delay, never past the cap."""
        restarts = Restarts(POLICY)
        delays = [restarts.after_exit(uptime_s=1, now=t) for t in range(6)]
        assert delays == [0.5, 1, 2, 4, 4, 4]

    def test_a_stable_run_starts_again_from_the_first_delay(self) -> None:
        """A child that stayed up past stable_after_s is restarted after the first delay again."""
        restarts = Restarts(POLICY)
        for t in range(4):
            restarts.after_exit(uptime_s=1, now=t)
        assert restarts.after_exit(uptime_s=31, now=100) == 0.5
        assert restarts.after_exit(uptime_s=1, now=101) == 1

    def test_a_crash_loop_is_that_many_exits_within_the_window(self) -> None:
        """Three exits within 60 s is a crash loop; exits older than the window are forgotten."""
        restarts = Restarts(POLICY)
        restarts.after_exit(uptime_s=1, now=0)
        restarts.after_exit(uptime_s=1, now=10)
        assert not restarts.crash_looping
        restarts.after_exit(uptime_s=1, now=20)
        assert restarts.crash_looping
        restarts.after_exit(uptime_s=50, now=200)
        assert not restarts.crash_looping
        assert restarts.recent_exits == 1
