"""compose.yaml and the Dockerfile describe the stack the code actually runs as."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.contracts.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[1]

# Service name -> the import target its command must run.
APP_TARGETS = {
    "ingest": "services.ingest.app:create_app",
    "query": "services.query.app:create_app",
    "admin": "services.admin.app:create_app",
    "realtime": "services.realtime.app:create_app",
    "workers": "services.workers.main",
}
APPS = tuple(APP_TARGETS)
# The services that open a database pool (realtime reads users' token generations);
# ingest never touches the database.
DATABASE_USERS = ("query", "admin", "workers", "realtime")
JWT_USERS = ("query", "realtime")
REDIS_FREE = ("admin",)
REQUIRED_FIELDS = ("database_url", "redis_url")
PINNED_TAG = re.compile(r"^\d+(\.\d+)+")


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def command_of(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def target_of(command: list[str]) -> str:
    """The import target a service command runs: uvicorn's factory or `python -m`'s module."""
    flag = "--factory" if command[0] == "uvicorn" else "-m"
    return command[command.index(flag) + 1]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def dependencies_of(service: dict[str, Any]) -> dict[str, str]:
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in depends_on.items()}


def image_tag(image: str) -> tuple[str, str]:
    name, _, tag = image.partition(":")
    return name, tag


def is_pinned(tag: str) -> bool:
    return bool(PINNED_TAG.match(tag)) and "latest" not in tag


class TestServices:
    def test_the_whole_stack_is_declared(self, services: dict[str, Any]) -> None:
        """The four Vitals services, the database, Redis and the migration job are all there."""
        assert {"db", "redis", "migrate", *APPS} <= services.keys()

    def test_every_long_running_service_is_restarted(self, services: dict[str, Any]) -> None:
        """Every service but the one-shot migrate job comes back after a crash or a kill: its restart policy is unless-stopped or always."""
        for name, service in services.items():
            if name != "migrate":
                assert service.get("restart") in ("unless-stopped", "always"), name


class TestDatabase:
    def test_image_is_timescale_licensed_and_pinned(self, services: dict[str, Any]) -> None:
        """The database is the timescale/timescaledb image at an exact version, never latest."""
        name, tag = image_tag(services["db"]["image"])
        assert name == "timescale/timescaledb"
        assert is_pinned(tag), tag

    def test_image_runs_the_timescaledb_the_native_builds_run(
        self, services: dict[str, Any]
    ) -> None:
        """The image's TimescaleDB is the version scripts/provision.sh builds for both native editions, on which the suite and the benchmarks ran (its PostgreSQL major may differ: README, compose)."""
        _, tag = image_tag(services["db"]["image"])
        provision = (ROOT / "scripts" / "provision.sh").read_text()
        native = re.search(r"^TIMESCALEDB_VERSION=(\S+)$", provision, re.MULTILINE)
        assert native is not None
        assert tag.split("-")[0] == native[1]

    def test_health_is_pg_isready(self, services: dict[str, Any]) -> None:
        """The database reports healthy only once pg_isready succeeds."""
        assert "pg_isready" in services["db"]["healthcheck"]["test"]

    def test_runs_with_the_write_path_settings_the_native_clusters_have(
        self, services: dict[str, Any]
    ) -> None:
        """The db command passes exactly the settings of deploy/postgresql/write-path.conf,
        which scripts/provision.sh includes in every native cluster the suite and benchmarks
        run on."""
        conf = (ROOT / "deploy" / "postgresql" / "write-path.conf").read_text()
        expected = {
            name.strip(): value.strip()
            for name, value in (
                line.split("=", 1) for line in conf.splitlines() if line and line[0] != "#"
            )
        }
        command = command_of(services["db"])
        assert command[0] == "postgres"
        flags = command[1:]
        assert flags[::2] == ["-c"] * len(expected)
        assert dict(flag.split("=", 1) for flag in flags[1::2]) == expected
        assert expected  # the file is not empty: the comparison above compared something

    def test_data_lives_in_a_volume(self, services: dict[str, Any]) -> None:
        """The data directory is a volume, so the data survives a container rebuild."""
        assert any("/var/lib/postgresql" in str(v) for v in services["db"].get("volumes", []))


class TestRedis:
    def test_queue_is_durable_and_never_evicts(self, services: dict[str, Any]) -> None:
        """Redis runs with the AOF fsynced every second and the noeviction policy."""
        command = " ".join(command_of(services["redis"]))
        assert "--appendonly yes" in command
        assert "--appendfsync everysec" in command
        assert "--maxmemory-policy noeviction" in command

    def test_image_is_redis_7_pinned(self, services: dict[str, Any]) -> None:
        """Redis is the redis image at an exact 7.x version."""
        name, tag = image_tag(services["redis"]["image"])
        assert name == "redis"
        assert tag.startswith("7.") and is_pinned(tag), tag

    def test_health_is_a_ping(self, services: dict[str, Any]) -> None:
        """Redis reports healthy only once redis-cli ping answers."""
        assert "redis-cli ping" in " ".join(services["redis"]["healthcheck"]["test"])

    def test_data_lives_in_a_volume(self, services: dict[str, Any]) -> None:
        """The AOF directory is a volume, so queued beacons survive a container rebuild."""
        assert any(str(v).endswith(":/data") for v in services["redis"].get("volumes", []))


class TestMigrate:
    def test_runs_the_migrations_once(self, services: dict[str, Any]) -> None:
        """The migrate job runs `vitals migrate` and is never restarted."""
        migrate = services["migrate"]
        assert command_of(migrate) == ["vitals", "migrate"]
        assert str(migrate.get("restart", "no")) == "no"

    def test_waits_for_a_healthy_database(self, services: dict[str, Any]) -> None:
        """The migrate job starts only after the database is healthy."""
        assert dependencies_of(services["migrate"]).get("db") == "service_healthy"

    def test_builds_the_application_image(self, services: dict[str, Any]) -> None:
        """The migrate job runs from the same image as the services."""
        assert services["migrate"]["build"] == services["ingest"]["build"]


@pytest.mark.parametrize("name", APPS)
class TestAppService:
    def test_builds_from_the_one_dockerfile(self, services: dict[str, Any], name: str) -> None:
        """Every service builds from the repository's single Dockerfile."""
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
        assert (ROOT / context).resolve() == ROOT
        assert dockerfile in (None, "Dockerfile")

    def test_command_names_its_module(self, services: dict[str, Any], name: str) -> None:
        """The command runs the service's own module: uvicorn's factory or the worker's main."""
        command = command_of(services[name])
        expected = ["uvicorn", "--factory"] if ":" in APP_TARGETS[name] else ["python", "-m"]
        assert command[:2] == expected
        assert target_of(command) == APP_TARGETS[name]

    def test_command_target_imports(self, services: dict[str, Any], name: str) -> None:
        """The target the command names imports and exposes a callable entry point."""
        target = target_of(command_of(services[name]))
        module_name, _, attribute = target.partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute or "main"))

    def test_listens_on_every_interface(self, services: dict[str, Any], name: str) -> None:
        """The process binds 0.0.0.0, or nothing outside its container could reach it."""
        command = command_of(services[name])
        assert command[command.index("--host") + 1] == "0.0.0.0"

    def test_healthcheck_asks_ready_on_its_port(self, services: dict[str, Any], name: str) -> None:
        """The healthcheck requests /ready on the port the command listens on."""
        command = command_of(services[name])
        port = command[command.index("--port") + 1]
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/ready" in probe
        assert "urllib" in probe

    def test_waits_for_healthy_redis(self, services: dict[str, Any], name: str) -> None:
        """Every service that uses Redis starts only after it is healthy (admin never uses it)."""
        expected = None if name in REDIS_FREE else "service_healthy"
        assert dependencies_of(services[name]).get("redis") == expected

    def test_database_users_wait_for_migrations(self, services: dict[str, Any], name: str) -> None:
        """A service with a database pool waits for it healthy and migrated; the others never wait."""
        dependencies = dependencies_of(services[name])
        if name in DATABASE_USERS:
            assert dependencies.get("db") == "service_healthy"
            assert dependencies.get("migrate") == "service_completed_successfully"
        else:
            assert "db" not in dependencies
            assert "migrate" not in dependencies


class TestEnvironment:
    def test_every_variable_is_a_setting(self, services: dict[str, Any]) -> None:
        """Every VITALS_* variable given to any service names a real Settings field."""
        fields = {ENV_PREFIX + field.upper() for field in Settings.field_names()}
        for name, service in services.items():
            unknown = {k for k in environment_of(service) if k.startswith(ENV_PREFIX)} - fields
            assert not unknown, f"{name}: {sorted(unknown)}"

    @pytest.mark.parametrize("name", ("migrate", *APPS))
    def test_required_settings_are_present(self, services: dict[str, Any], name: str) -> None:
        """Each process gets the settings it cannot start without, the JWT secret included."""
        required = [*REQUIRED_FIELDS, *(("jwt_secret",) if name in JWT_USERS else ())]
        environment = environment_of(services[name])
        missing = [f for f in required if not environment.get(ENV_PREFIX + f.upper())]
        assert not missing, missing

    @pytest.mark.parametrize("name", ("migrate", "query", "realtime"))
    def test_the_query_login_has_a_password(self, services: dict[str, Any], name: str) -> None:
        """Migrate gives vitals_query a password; query and realtime log in with it."""
        assert environment_of(services[name]).get("VITALS_QUERY_DATABASE_PASSWORD")

    @pytest.mark.parametrize("name", APPS)
    def test_logs_are_json(self, services: dict[str, Any], name: str) -> None:
        """Services in containers log JSON."""
        assert environment_of(services[name]).get("VITALS_LOG_FORMAT") == "json"

    def test_realtime_has_a_cors_allow_list(self, services: dict[str, Any]) -> None:
        """Realtime is told which origins may connect, and it is never a wildcard."""
        origins = environment_of(services["realtime"]).get("VITALS_REALTIME_CORS_ORIGINS", "")
        assert origins and "*" not in origins

    def test_secrets_come_from_the_caller(self, services: dict[str, Any]) -> None:
        """The JWT secret is interpolated and required, never a literal in the file."""
        for name in JWT_USERS:
            secret = environment_of(services[name])["VITALS_JWT_SECRET"]
            assert re.fullmatch(r"\$\{VITALS_JWT_SECRET:\?[^}]+\}", secret), secret


class TestDockerfile:
    def test_base_images_are_pinned(self, dockerfile: list[str]) -> None:
        """Every external base image is pinned to an exact patch version: python 3.11 slim for the services, node 20 slim for the SDK build."""
        stages = set()
        for line in dockerfile:
            if not line.upper().startswith("FROM "):
                continue
            words = line.split()
            image = words[1]
            if image not in stages:
                name, tag = image_tag(image)
                pinned = (name == "python" and re.match(r"3\.11\.\d+-slim", tag)) or (
                    name == "node" and re.match(r"20\.\d+\.\d+-bookworm-slim", tag)
                )
                assert pinned, image
            if len(words) == 4 and words[2].upper() == "AS":
                stages.add(words[3])
        assert any(line.startswith("FROM python:") for line in dockerfile)

    def test_dependencies_come_from_the_lock_file(self, dockerfile: list[str]) -> None:
        """Dependencies are installed by `uv sync --frozen --no-dev` with a pinned uv."""
        runs = [line for line in dockerfile if line.upper().startswith("RUN ")]
        syncs = [r for r in runs if "uv sync" in r]
        assert syncs and all("--frozen" in r and "--no-dev" in r for r in syncs), syncs
        assert any(re.search(r"uv==(\d+\.\d+\.\d+|\$\{?UV_VERSION)", r) for r in runs)

    def test_copies_the_code_and_the_migrations(self, dockerfile: list[str]) -> None:
        """The image holds services/ and migrations/, which `vitals migrate` reads."""
        copies = " ".join(line for line in dockerfile if line.upper().startswith("COPY "))
        assert "services" in copies and "migrations" in copies

    def test_runs_as_a_non_root_user(self, dockerfile: list[str]) -> None:
        """The final stage switches to a user that is not root."""
        last_from = max(i for i, line in enumerate(dockerfile) if line.upper().startswith("FROM "))
        final = dockerfile[last_from:]
        users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
        assert users and users[-1] not in ("root", "0"), users
