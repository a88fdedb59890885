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
# The suite starts hundreds of Python processes (services, workers, `vitals` commands);
# with PYTHONDONTWRITEBYTECODE set, each would compile the project's own modules again.
unset PYTHONDONTWRITEBYTECODE
# Two processes (pytest-xdist; each has its own database and Redis db, see tests/conftest.py),
# a test file's tests kept together in one; VITALS_TEST_WORKERS=0 runs them in this one.
# Many tests spend their time waiting on the services they start, so two overlap well
# even on two cores. The slowest tests are listed, so every CI log shows where time goes.
pytest -n "${VITALS_TEST_WORKERS:-2}" --dist loadfile --durations=30 "$@" || failed+=(pytest)

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
