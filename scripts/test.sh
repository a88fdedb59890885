#!/usr/bin/env bash
# `make test`: provision like `make run` (the suite uses its own database and Redis db),
# then lint and run every test suite. Extra arguments go to pytest. Every stage runs
# even when an earlier one failed, so one run shows every problem; any failure fails.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

scripts/provision.sh all || exit 1
# shellcheck disable=SC1091
. .local/env
export PATH="$ROOT/.venv/bin:$PATH"
failed=()

echo "== lint (ruff, mypy strict on services/)"
ruff check . || failed+=(ruff)
mypy || failed+=(mypy)

for package in sdk dashboard; do
  if [ -f "$package/package.json" ]; then
    echo "== $package tests (npm test)"
    (cd "$package" && npm test --silent) || failed+=("$package")
  fi
done

echo "== python tests"
mkdir -p test-output
# The slowest tests, so every CI log shows where the suite's time goes.
pytest --durations=30 "$@" || failed+=(pytest)

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
