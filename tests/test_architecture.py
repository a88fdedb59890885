"""The import rule of DESIGN §1: a service imports only itself and services.contracts."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[1] / "services"
PACKAGES = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())


def imported_service_packages(path: Path) -> set[str]:
    """The `services.<package>` names a module imports, absolute or relative."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    own = path.relative_to(SERVICES).parts[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports stay within the package unless they climb out
                names = [own] if node.level == 1 else ["services.<parent>"]
                found.update(n for n in names if n.startswith("services."))
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                found.add(parts[1])
    return found


class TestImportRule:
    def test_every_package_is_known(self) -> None:
        """The services tree holds exactly the processes DESIGN names, plus the CLI."""
        assert set(PACKAGES) == {
            "admin",
            "cli",
            "contracts",
            "ingest",
            "query",
            "realtime",
            "workers",
        }

    def test_contracts_import_no_service(self) -> None:
        """services.contracts imports nothing else from services/."""
        for path in (SERVICES / "contracts").rglob("*.py"):
            assert imported_service_packages(path) <= {"contracts"}, path

    @pytest.mark.parametrize("package", [p for p in PACKAGES if p != "contracts"])
    def test_service_imports_only_itself_and_contracts(self, package: str) -> None:
        """A service's modules import only their own package and services.contracts."""
        for path in (SERVICES / package).rglob("*.py"):
            illegal = imported_service_packages(path) - {package, "contracts"}
            assert not illegal, f"{path.relative_to(SERVICES)} imports services.{illegal}"

    def test_rule_detects_a_violation(self, tmp_path: Path) -> None:
        """The checker itself sees a forbidden import (so the rule cannot pass vacuously)."""
        module = SERVICES / "ingest" / "_probe_violation.py"
        module.write_text("from services.workers import jobs\nimport services.query.app\n")
        try:
            assert imported_service_packages(module) == {"workers", "query"}
        finally:
            module.unlink()
