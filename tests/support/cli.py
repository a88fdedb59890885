"""The `vitals` command run as a real process, for the CLI tests."""

from __future__ import annotations

import subprocess
import sys

from services.contracts.settings import Settings
from tests.support.processes import ROOT, settings_env


def vitals(
    settings: Settings, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`env`: more variables for the process (settings' own come from `settings`)."""
    result = subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env={**settings_env(settings), **(env or {})}, cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stderr
    return result
