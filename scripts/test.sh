#!/usr/bin/env bash
# `make test`: provision like `make run` (the suite uses its own database and Redis db),
# lint, then run every test suite. Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

scripts/provision.sh all
# shellcheck disable=SC1091
. .local/env
export PATH="$ROOT/.venv/bin:$PATH"

echo "== lint"
ruff check services tests
mypy

echo "== python tests"
mkdir -p test-output
pytest "$@"
