"""What one running server holds: the ledger it serves (one open ``Ledger`` per thread,
caught up before every request), whether it may record, its CSRF token, the last `verify`
it ran and the uploads waiting for confirmation."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger.application import Ledger

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
PENDING_UPLOADS = 16  # dry-run uploads kept for confirmation; the oldest go first


@dataclass
class LastVerify:
    """The outcome of the last `verify` this server ran (``ledger.answers.Verified``)."""

    at: str
    answer: Any


@dataclass
class Upload:
    """A document a controller uploaded and saw the dry run of, waiting for "record"."""

    filename: str
    text: str
    head: int  # the ledger's position when its dry run was shown


@dataclass
class Site:
    ledger_text: str
    allow_record: bool = False
    hosts: tuple[str, ...] = LOOPBACK  # the Host names requests may carry
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    last_verify: LastVerify | None = None
    _local: threading.local = field(default_factory=threading.local)
    _opened: list[Ledger] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _uploads: OrderedDict[str, Upload] = field(default_factory=OrderedDict)

    def ledger(self) -> Ledger:
        """This thread's open ledger, its read models caught up with whatever was recorded
        since (by this server or by anyone else). SQLite connections stay in their thread."""
        ledger: Ledger | None = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = Ledger.open(self.ledger_text, write=self.allow_record)
            self._local.ledger = ledger
            with self._lock:
                self._opened.append(ledger)
        ledger.catch_up()
        return ledger

    def close(self) -> None:
        with self._lock:
            for ledger in self._opened:
                ledger.close()
            self._opened.clear()
        self._local = threading.local()

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf_token.encode())

    def keep_upload(self, upload: Upload) -> str:
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._uploads[token] = upload
            while len(self._uploads) > PENDING_UPLOADS:
                self._uploads.popitem(last=False)
        return token

    def take_upload(self, token: str) -> Upload | None:
        with self._lock:
            return self._uploads.pop(token, None)

    def verified(self, answer: Any) -> None:
        self.last_verify = LastVerify(datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), answer)
