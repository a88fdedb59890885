"""scripts/provision.sh's local servers, run for real in a throwaway checkout: the ports
follow VITALS_LOCAL_*_PORT at every start, a server already running elsewhere is named
instead of silently kept, and as root a checkout the postgres user cannot enter still
gets its cluster. A few seconds: one initdb, a handful of starts and stops."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port

TIMEOUT_S = 120  # initdb and a start on a shared, busy machine


class Checkout:
    """The files provision's `services` step reads, copied into a folder of their own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for path in ("scripts/provision.sh", "deploy/postgresql/write-path.conf"):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, root / path)

    def provision(
        self, step: str, pg_port: int, redis_port: int
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITALS_")}
        env.update(
            VITALS_LOCAL_PG_PORT=str(pg_port),
            VITALS_LOCAL_TIMESCALE_PG_PORT=str(free_port()),
            VITALS_LOCAL_REDIS_PORT=str(redis_port),
        )
        return subprocess.run(
            [str(self.root / "scripts/provision.sh"), step],
            env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Provisioned:
    """A throwaway checkout whose servers provision started on these ports."""

    def __init__(self, checkout: Checkout) -> None:
        self.checkout = checkout
        self.pg_port, self.redis_port = free_port(), free_port()
        self.first = checkout.provision("services", self.pg_port, self.redis_port)


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    # Under pytest's temporary folder, which is mode 700: as root, one the postgres user
    # cannot enter, like a checkout under /root.
    provisioned = Provisioned(Checkout(tmp_path_factory.mktemp("checkout")))
    yield provisioned
    provisioned.checkout.provision("clean", free_port(), free_port())


class TestLocalServers:
    def test_a_checkout_postgres_cannot_enter_gets_its_cluster_elsewhere(
        self, provisioned: Provisioned
    ) -> None:
        """As root in a folder the postgres user cannot enter, the cluster lives in /var/lib/vitals, linked from .local/pg, and starts."""
        if os.geteuid() != 0:
            pytest.skip("only root runs PostgreSQL as another user")
        assert provisioned.first.returncode == 0, provisioned.first.stderr
        link = provisioned.checkout.root / ".local/pg"
        assert link.is_symlink()
        assert str(link.resolve()).startswith("/var/lib/vitals/")
        assert listening(provisioned.pg_port)

    def test_changed_ports_are_followed_and_a_running_server_is_named(
        self, provisioned: Provisioned
    ) -> None:
        """A new port while a server runs stops provision with what to do; after a stop, both servers start on the new ports."""
        checkout, old_pg, old_redis = (
            provisioned.checkout,
            provisioned.pg_port,
            provisioned.redis_port,
        )
        new_pg, new_redis = free_port(), free_port()
        assert provisioned.first.returncode == 0, provisioned.first.stderr
        assert listening(old_pg) and listening(old_redis)

        moved_pg = checkout.provision("services", new_pg, old_redis)
        assert moved_pg.returncode == 1
        assert f"is running on port {old_pg},\nbut VITALS_LOCAL_PG_PORT asks for {new_pg}" in (
            moved_pg.stderr
        )
        moved_redis = checkout.provision("services", old_pg, new_redis)
        assert moved_redis.returncode == 1
        assert f"running on port {old_redis}, but VITALS_LOCAL_REDIS_PORT" in moved_redis.stderr
        assert listening(old_pg) and listening(old_redis)

        # stop finds its servers by their files, whatever the ports asked for now.
        assert checkout.provision("stop", new_pg, new_redis).returncode == 0
        assert not listening(old_pg) and not listening(old_redis)
        again = checkout.provision("services", new_pg, new_redis)
        assert again.returncode == 0, again.stderr
        assert listening(new_pg) and listening(new_redis)
        assert not listening(old_pg) and not listening(old_redis)
        env = (checkout.root / ".local/env").read_text()
        assert f"VITALS_LOCAL_PG_PORT={new_pg}" in env
        assert f"127.0.0.1:{new_pg}/vitals" in env
