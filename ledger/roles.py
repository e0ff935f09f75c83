"""Controller and auditor roles on a shared PostgreSQL ledger, enforced by the database:
nobody but the owner may UPDATE, DELETE or TRUNCATE events; a controller may add them;
an auditor may only read (show, explain, history, verify). Both may run `sql`, which reads
as the role begroting_reader. Every name goes into the SQL quoted, never pasted."""

from __future__ import annotations

import re
from typing import Any

from ledger.errors import LedgerError
from ledger.storage import CHAIN_TABLE, Location, PostgresLocation
from projections.db import READER_ROLE as READER
from projections.db import VIEWS_SCHEMA as VIEWS

ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
EVENTS = PostgresLocation.EVENTS_TABLE


def statements(location: Location, controller: str, auditor: str) -> list[Any]:
    """The statements `roles setup` runs, as psycopg ``Composed`` SQL."""
    from psycopg.sql import SQL, Identifier, Literal

    if not isinstance(location, PostgresLocation):
        raise LedgerError("roles: roles are for a PostgreSQL ledger; a SQLite file is guarded by file permissions")
    for option, name in (("--controller", controller), ("--auditor", auditor)):
        if not ROLE.match(name):
            raise LedgerError(f"{option} {name!r} is not a role name (lowercase letters, digits and _)")
    if controller == auditor:
        raise LedgerError("roles: the controller and the auditor must be different roles")
    ctl, aud = Identifier(controller), Identifier(auditor)
    both = SQL(", ").join([ctl, aud])
    events = SQL(", ").join([Identifier(EVENTS), Identifier(CHAIN_TABLE)])
    views, reader = Identifier(VIEWS), Identifier(READER)
    out = []
    for name, login in ((controller, "LOGIN"), (auditor, "LOGIN"), (READER, "NOLOGIN")):
        # A DO block takes no parameters: the name goes in as a quoted literal and identifier.
        out.append(SQL("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {0}) "
                       "THEN CREATE ROLE {1} {2}; END IF; END $$").format(Literal(name), Identifier(name), SQL(login)))
    out += [
        SQL("REVOKE ALL ON {0} FROM PUBLIC").format(events),
        SQL("REVOKE ALL ON {0} FROM {1}").format(events, both),
        SQL("GRANT CONNECT ON DATABASE {0} TO {1}").format(Identifier(location.dbname), both),
        SQL("GRANT USAGE ON SCHEMA public, {0} TO {1}").format(views, both),
        # Events: the controller adds them, the auditor reads them; nobody changes them.
        SQL("GRANT SELECT, INSERT ON {0} TO {1}").format(events, ctl),
        SQL("GRANT USAGE ON SEQUENCE {0} TO {1}").format(Identifier(f"{EVENTS}_notification_id_seq"), ctl),
        SQL("GRANT SELECT ON {0} TO {1}").format(events, aud),
        # Read models are derived data the controller's commands keep up to date; the grants
        # also hold for the tables a rebuild makes anew (default privileges of the owner).
        SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {0} TO {1}").format(views, ctl),
        SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {0} TO {1}").format(views, aud),
        SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {1}")
        .format(views, ctl),
        SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT SELECT ON TABLES TO {1}").format(views, aud),
        # `sql` reads as begroting_reader: SELECT on the read models and nothing else.
        SQL("GRANT USAGE ON SCHEMA {0} TO {1}").format(views, reader),
        SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {0} TO {1}").format(views, reader),
        SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {0} GRANT SELECT ON TABLES TO {1}").format(views, reader),
        SQL("GRANT {0} TO {1}, CURRENT_USER").format(reader, both),
    ]
    return out


def text(statement: Any) -> str:
    """A statement as it is sent, for `roles setup` to print."""
    return statement.as_string(None)


def apply(location: Location, sql: list[Any]) -> None:
    import psycopg

    if not isinstance(location, PostgresLocation):
        raise LedgerError("roles: roles are for a PostgreSQL ledger; a SQLite file is guarded by file permissions")
    try:
        with location.connect() as conn, conn.transaction():
            for statement in sql:
                conn.execute(statement)
    except psycopg.Error as e:
        raise LedgerError(f"roles: {str(e).strip().splitlines()[0]} (run this as the ledger's owner)") from None
