"""The event store in PostgreSQL: the eventsourcing library's own persistence, with the
hash chain appended in the same transaction. Imported only for postgresql:// ledgers."""

from __future__ import annotations

from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.postgres import PostgresFactory as _LibraryPostgresFactory
from psycopg.sql import SQL, Identifier

from ledger.heads import check_head
from ledger.integrity import GENESIS, new_links
from ledger.storage import CHAIN_TABLE


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, appending each event's chain link in the same
    transaction (writers are serialised by an advisory lock: see ``_lock_table``)."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} (position bigint PRIMARY KEY, sha256 text NOT NULL)")
            .format(self.chain_table)
        )
        self.sql_create_statements += stamp_statements(datastore.schema, events_table_name)

    def _lock_table(self, curs: Any) -> None:
        # The library takes an EXCLUSIVE table lock to make positions follow commit order;
        # that lock needs UPDATE rights, which no role but the owner has on a ledger. A
        # transaction-level advisory lock serialises writers just as well, with INSERT only.
        curs.execute(SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout))
        curs.execute("SELECT pg_advisory_xact_lock(hashtext('begroting_events'))")

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)  # taken again by the insert: the lock is re-entrant
            curs.execute(SQL("SELECT MAX(notification_id) AS head FROM {0}.{1}").format(
                Identifier(self.datastore.schema), Identifier(self.events_table_name)))
            row = curs.fetchone()
            check_head(row["head"] if row else None, kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            positions = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or []
            curs.execute(SQL("SELECT sha256 FROM {0} ORDER BY position DESC LIMIT 1").format(self.chain_table))
            row = curs.fetchone()
            curs.executemany(SQL("INSERT INTO {0} VALUES (%s, %s)").format(self.chain_table),
                             new_links(row["sha256"] if row else GENESIS, positions, stored_events))
        return positions


# The database, not the client, stamps each event (item 9 of "Trust"): the next position in
# commit order, the database user, and the time. Only the table's owner (importing a moved
# ledger) may bring its own actor and recorded_at; anyone else's event must also say, in its
# JSON, that it was made by this user, now (within 5 minutes).
_STAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $stamp$
DECLARE
    state jsonb;
    stamped timestamptz;
BEGIN
    -- The recorder's own lock: positions follow commit order, without gaps.
    PERFORM pg_advisory_xact_lock(hashtext('begroting_events'));
    SELECT coalesce(max(notification_id), 0) + 1 INTO NEW.notification_id FROM {table};
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
        NEW.actor := coalesce(NEW.actor, current_user::text);
        NEW.recorded_at := coalesce(NEW.recorded_at, clock_timestamp());
        RETURN NEW;
    END IF;
    NEW.actor := current_user;
    NEW.recorded_at := clock_timestamp();
    BEGIN
        state := convert_from(NEW.state, 'UTF8')::jsonb;
        stamped := (state ->> 'timestamp')::timestamptz;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'begroting: an event must be JSON with an ISO-8601 timestamp';
    END;
    IF (state ->> 'actor') IS DISTINCT FROM current_user::text THEN
        RAISE EXCEPTION USING MESSAGE = 'begroting: an event''s actor must be the database user '
            || current_user || ', not ' || coalesce(state ->> 'actor', 'none');
    END IF;
    IF stamped IS NULL OR abs(extract(epoch FROM clock_timestamp() - stamped)) > 300 THEN
        RAISE EXCEPTION USING MESSAGE = 'begroting: an event''s timestamp must be the time of recording '
            || '(within 5 minutes of the database clock), not ' || coalesce(state ->> 'timestamp', 'none');
    END IF;
    RETURN NEW;
END
$stamp$"""


def stamp_statements(schema: str, table_name: str) -> list[Any]:
    """Columns, function and trigger that stamp every new event; safe to run again on an
    existing ledger (``init`` runs them)."""
    table = SQL("{0}.{1}").format(Identifier(schema), Identifier(table_name))
    function = SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{table_name}_stamp"))
    trigger = Identifier(f"{table_name}_stamp")
    return [
        SQL("ALTER TABLE {0} ADD COLUMN IF NOT EXISTS actor text, ADD COLUMN IF NOT EXISTS recorded_at timestamptz")
        .format(table),
        SQL(_STAMP_FUNCTION).format(function=function, table=table),
        SQL("DROP TRIGGER IF EXISTS {0} ON {1}").format(trigger, table),
        SQL("CREATE TRIGGER {0} BEFORE INSERT ON {1} FOR EACH ROW EXECUTE FUNCTION {2}()")
        .format(trigger, table, function),
    ]


class PostgresFactory(_LibraryPostgresFactory):
    application_recorder_class = ChainedPostgresRecorder
