"""The event store in PostgreSQL: the eventsourcing library's own persistence, with the
hash chain appended in the same transaction. Imported only for postgresql:// ledgers."""

from __future__ import annotations

from typing import Any, Sequence

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.postgres import PostgresFactory as _LibraryPostgresFactory
from psycopg.sql import SQL, Identifier

from ledger.integrity import GENESIS, new_links
from ledger.storage import CHAIN_TABLE, check_head


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, appending each event's chain link in the same
    transaction (writers are serialised by an advisory lock: see ``_lock_table``)."""

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(CHAIN_TABLE))
        self.sql_create_statements.append(
            SQL("CREATE TABLE IF NOT EXISTS {0} (position bigint PRIMARY KEY, sha256 text NOT NULL)").format(self.chain_table)
        )

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
            check_head(curs.fetchone()["head"], kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            positions = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or []
            curs.execute(SQL("SELECT sha256 FROM {0} ORDER BY position DESC LIMIT 1").format(self.chain_table))
            row = curs.fetchone()
            curs.executemany(SQL("INSERT INTO {0} VALUES (%s, %s)").format(self.chain_table),
                             new_links(row["sha256"] if row else GENESIS, positions, stored_events))
        return positions


class PostgresFactory(_LibraryPostgresFactory):
    application_recorder_class = ChainedPostgresRecorder
