"""`vitals check --project shop --release "$GIT_SHA" --budgets budgets.yaml`: the CI gate
on field data. Exit 0: the release met its budgets and did not regress; 1: it failed
(or the budgets file is wrong); 2: not enough page views yet to judge, ask again later.
The same judgement as POST …/releases/{release}/check (services/query/budgets.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msgspec
import yaml

from services.cli import catalog
from services.contracts.errors import ApiError
from services.contracts.settings import Settings
from services.query.budgets import Budgets, CheckResult, check_budgets
from services.query.check import check_release
from services.query.releases import check_name

EXIT_CODES = {"passed": 0, "failed": 1, "insufficient_data": 2}


def load_budgets(path: Path) -> Budgets:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        budgets = msgspec.convert(raw, Budgets)
    except (OSError, yaml.YAMLError, msgspec.ValidationError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    check_budgets(budgets)
    return budgets


async def cmd_check(settings: Settings, args: argparse.Namespace) -> None:
    budgets = load_budgets(Path(args.budgets))
    connection = await catalog.connect(settings)
    try:
        project = await catalog.get_project(connection, args.project)
        check_name("release", args.release)
        result = await check_release(connection, project.id, args.release, budgets, args.baseline)
    except ApiError as exc:
        if exc.code != "release_not_found":
            raise ValueError(exc.detail) from None
        # A release no page view has named yet: the deploy is too fresh to judge.
        print(f"{exc.detail}: not enough data yet", file=sys.stderr)
        raise SystemExit(EXIT_CODES["insufficient_data"]) from None
    finally:
        await connection.close()
    if args.json:
        print(msgspec.json.encode(result).decode())
    else:
        print(render(result))
    raise SystemExit(EXIT_CODES[result.status])


def render(result: CheckResult) -> str:
    against = f" against {result.baseline}" if result.baseline else ""
    lines = [f"release {result.release}{against}: {result.status.upper().replace('_', ' ')}"]
    if result.budgets:
        lines.append(f"  {'budget':<40} {'p75':>10} {'ceiling':>10} {'samples':>9}  status")
        for r in result.budgets:
            b = r.budget
            scope = " ".join(part for part in (b.metric, b.device, b.route) if part)
            p75 = "-" if r.p75 is None else _value(b.metric, r.p75)
            lines.append(
                f"  {scope:<40} {p75:>10} {_value(b.metric, b.p75):>10} {r.samples:>9,}  {r.status}"
            )
    for g in result.regressions:
        scope = " ".join(part for part in (g.metric, g.device, g.route) if part)
        change = "" if g.p75_relative is None else f"p75 {g.p75_relative:+.1%}"
        if g.p75_ci95:
            change += f" (95 % CI {g.p75_ci95[0]:+.1%} to {g.p75_ci95[1]:+.1%})"
        lines.append(f"  regressed: {scope} {change}")
    return "\n".join(lines)


def _value(metric: str, value: float) -> str:
    return f"{value:.3f}" if metric == "CLS" else f"{value:,.0f} ms"


def register(commands: Any) -> None:
    """`vitals check` on the main parser's subcommands."""
    check = commands.add_parser(
        "check", help="gate a release on field data (exit 0 passed, 1 failed, 2 wait)"
    )
    check.set_defaults(command=cmd_check)
    check.add_argument("--project", required=True, help="project slug or id")
    check.add_argument("--release", required=True, help="as the SDK's release option names it")
    check.add_argument("--budgets", required=True, help="a budgets.yaml (see the README)")
    check.add_argument("--baseline", help="the release to compare with; default: the one before")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
