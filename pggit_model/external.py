"""An existing PostgreSQL server given by DSN: checked once (reachable, superuser), and only the harness's own
databases (named DB_PREFIX*) are created, used and dropped there. Callers import it from ``cluster``."""

from __future__ import annotations

import psycopg

from .databases import DB_PREFIX, connect, mask_dsn
from .errors import PostgresNotFound, ServerUnreachable
from .pgprocs import find_binaries


class ExternalServer:
    """An existing server reached by DSN: the harness only creates/drops databases named DB_PREFIX*."""

    def __init__(self, dsn: str, bindir: str | None = None) -> None:
        self.dsn = dsn
        self._bindir = bindir
        try:
            with connect(dsn, timeouts=False) as conn:
                row = conn.execute("SHOW server_version").fetchone()
                is_super = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        except psycopg.Error as e:
            raise ServerUnreachable(
                f"cannot connect to the PostgreSQL server at {mask_dsn(dsn)!r}: {str(e).strip()}. "
                "Check the DSN (--pg-dsn / PGGIT_MODEL_DSN) and that the server is running, or omit it "
                "to use a throwaway cluster."
            ) from None
        assert row is not None
        self.version = str(row[0]).split()[0]
        if not (is_super and is_super[0]):
            raise ServerUnreachable(
                f"the role in {mask_dsn(dsn)!r} is not a superuser; pgGit's event triggers need one. "
                "Connect as a superuser, or omit --pg-dsn to use a throwaway cluster."
            )

    def conninfo(self, dbname: str) -> str:
        if not dbname.startswith(DB_PREFIX) and dbname != "postgres":
            raise ValueError(f"refusing to use database {dbname!r} on an external server: not ours")
        params = psycopg.conninfo.conninfo_to_dict(self.dsn)
        params["dbname"] = dbname
        return psycopg.conninfo.make_conninfo(**params)  # type: ignore[arg-type]

    def psql_env(self) -> dict[str, str]:
        return {}

    @property
    def psql(self) -> str:
        """psql from the local PostgreSQL binaries if there are any, else the one on PATH."""
        try:
            return find_binaries(self._bindir).tool("psql")
        except PostgresNotFound:
            return "psql"

    def close(self) -> None:
        pass
