"""Controller and auditor roles on a shared PostgreSQL ledger, enforced by the database:
nobody but the owner may UPDATE, DELETE or TRUNCATE events; a controller may add them;
an auditor may only read (show, explain, history, verify)."""

from __future__ import annotations

import re

from ledger.errors import LedgerError
from ledger.storage import CHAIN_TABLE, Location, PostgresLocation

ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
EVENTS = PostgresLocation.EVENTS_TABLE
VIEWS = "begroting_views"


def statements(location: Location, controller: str, auditor: str) -> list[str]:
    if not isinstance(location, PostgresLocation):
        raise LedgerError("roles: roles are for a PostgreSQL ledger; a SQLite file is guarded by file permissions")
    for option, name in (("--controller", controller), ("--auditor", auditor)):
        if not ROLE.match(name):
            raise LedgerError(f"{option} {name!r} is not a role name (lowercase letters, digits and _)")
    if controller == auditor:
        raise LedgerError("roles: the controller and the auditor must be different roles")
    events = f"{EVENTS}, {CHAIN_TABLE}"
    out = []
    for name in (controller, auditor):
        out.append(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') "
                   f"THEN CREATE ROLE {name} LOGIN; END IF; END $$")
    out += [
        f"REVOKE ALL ON {events} FROM PUBLIC",
        f"REVOKE ALL ON {events} FROM {controller}, {auditor}",
        f'GRANT CONNECT ON DATABASE "{location.dbname}" TO {controller}, {auditor}',
        f"GRANT USAGE ON SCHEMA public, {VIEWS} TO {controller}, {auditor}",
        # Events: the controller adds them, the auditor reads them; nobody changes them.
        f"GRANT SELECT, INSERT ON {events} TO {controller}",
        f"GRANT USAGE ON SEQUENCE {EVENTS}_notification_id_seq TO {controller}",
        f"GRANT SELECT ON {events} TO {auditor}",
        # Read models are derived data the controller's commands keep up to date.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {VIEWS} TO {controller}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {VIEWS} TO {auditor}",
    ]
    return out


def apply(location: PostgresLocation, sql: list[str]) -> None:
    import psycopg

    try:
        with location.connect() as conn, conn.transaction():
            for statement in sql:
                conn.execute(statement)
    except psycopg.Error as e:
        raise LedgerError(f"roles: {str(e).strip().splitlines()[0]} (run this as the ledger's owner)") from None
