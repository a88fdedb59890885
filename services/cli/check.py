"""`vitals check --project shop --release "$GIT_SHA" --budgets budgets.yaml`: the CI gate
on field data. Exit 0: the release met its budgets and did not regress; 1: it failed
(or the budgets file is wrong); 2: not enough page views yet to judge, ask again later.

A client of the query service's POST …/releases/check (the judging is a read, and reads
are the query service's): with VITALS_DEPLOY_TOKEN set it sends that deploy token, so a
CI runner needs neither the database nor the JWT secret (give the project by id there);
otherwise it mints a short-lived token for the project, as `vitals token` does.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
import yaml

from services.cli import catalog
from services.contracts.budgets import Budgets, CheckResult, check_budgets
from services.contracts.settings import Settings
from services.contracts.tokens import mint_token

EXIT_CODES = {"passed": 0, "failed": 1, "insufficient_data": 2}
DEFAULT_QUERY_URL = "http://127.0.0.1:8002"  # compose's and the systemd unit's port
TOKEN_LIFETIME_S = 300
TIMEOUT_S = 60


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
    project_id, token = await _credentials(settings, args.project)
    params = {"release": args.release, **({"baseline": args.baseline} if args.baseline else {})}
    url = (
        f"{args.query_url.rstrip('/')}/v1/projects/{project_id}/releases/check?{urlencode(params)}"
    )
    status, body = _post(url, msgspec.json.encode(budgets), token)
    if status == 404 and body.get("error") == "release_not_found":
        # No page view has named the release yet: the deploy is too fresh to judge.
        print(f"{body.get('detail')}: not enough data yet", file=sys.stderr)
        raise SystemExit(EXIT_CODES["insufficient_data"])
    if status != 200:
        raise ValueError(f"the query service answered {status}: {body}")
    result = msgspec.convert(body, CheckResult)
    print(msgspec.json.encode(result).decode() if args.json else render(result))
    raise SystemExit(EXIT_CODES[result.status])


async def _credentials(settings: Settings, project: str) -> tuple[int, str]:
    """The project's id and a bearer token: the deploy token when one is set."""
    deploy_token = os.environ.get("VITALS_DEPLOY_TOKEN")
    if deploy_token and project.isdigit():
        return int(project), deploy_token
    connection = await catalog.connect(settings)
    try:
        project_id = (await catalog.get_project(connection, project)).id
    finally:
        await connection.close()
    if deploy_token:
        return project_id, deploy_token
    token = mint_token(settings, subject="vitals check", projects=[project_id],
                       lifetime_s=TOKEN_LIFETIME_S)  # fmt: skip
    return project_id, token


def _post(url: str, body: bytes, token: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - the operator's own query service URL
        url, data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read())
        except ValueError:
            return error.code, {}


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
    check.add_argument(
        "--query-url", default=os.environ.get("VITALS_QUERY_URL", DEFAULT_QUERY_URL),
        help=f"the query service (default: VITALS_QUERY_URL or {DEFAULT_QUERY_URL})",
    )  # fmt: skip
