"""How the bench prints: one timestamped line per figure as it is measured."""

from __future__ import annotations

import time


def say(line: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {line}", flush=True)
