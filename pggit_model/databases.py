"""Talking to a PostgreSQL server, whoever runs it: the Server protocol, connections with timeouts, and the
databases the harness creates on it (always named with ``DB_PREFIX``, so a server it does not own is safe)."""

from __future__ import annotations

import re
import uuid
from typing import Protocol

import psycopg
from psycopg import sql

#: Every database the harness creates carries this prefix; on a server it does not own it never
#: touches a database without it.
DB_PREFIX = "pggit_model_"


def mask_dsn(dsn: str) -> str:
    """The DSN with any password replaced by ``***``, for messages."""
    masked = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", dsn)
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", masked)


class Server(Protocol):
    """What the harness needs from PostgreSQL: conninfo per database, and a version."""

    version: str

    @property
    def psql(self) -> str: ...

    def conninfo(self, dbname: str) -> str: ...

    def close(self) -> None: ...


def connect(conninfo: str, *, autocommit: bool = True, timeouts: bool = True) -> psycopg.Connection:
    """Connect with statement/lock timeouts so that nothing the harness runs can hang."""
    options = "-c statement_timeout=60s -c lock_timeout=20s" if timeouts else ""
    return psycopg.connect(conninfo, autocommit=autocommit, options=options, connect_timeout=10)


def new_dbname(tag: str) -> str:
    """A fresh database name with our prefix (so an external server's other databases are safe)."""
    return f"{DB_PREFIX}{tag}_{uuid.uuid4().hex[:10]}"


def create_database(server: Server, name: str, template: str | None = None) -> None:
    assert name.startswith(DB_PREFIX), name
    with connect(server.conninfo("postgres")) as conn:
        if template:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
        else:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server: Server, name: str, conn: psycopg.Connection | None = None) -> None:
    """Drop one of our databases, terminating its sessions first (WITH FORCE)."""
    if not name.startswith(DB_PREFIX):
        raise ValueError(f"refusing to drop database {name!r}: it does not carry the prefix {DB_PREFIX!r}")
    stmt = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    if conn is not None:
        conn.execute(stmt)
        return
    with connect(server.conninfo("postgres")) as c:
        c.execute(stmt)


def our_databases(server: Server) -> list[str]:
    with connect(server.conninfo("postgres")) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1", [DB_PREFIX]
        ).fetchall()
    return [r[0] for r in rows]


__all__ = ["DB_PREFIX", "Server", "connect", "create_database", "drop_database", "mask_dsn", "new_dbname",
           "our_databases"]
