"""`verify` replays into a scratch file of its own: another local user cannot decide what it
compares the read models with, and a machine with no writable temporary folder still
verifies (the replay then held in memory). Found by a hostile review; both need a Linux that
lets root make mount namespaces (`unshare`) and run another user (`setpriv`), else skipped."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.test_verify_views import clean  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parent.parent
MALLORY = Path(__file__).resolve().parent / "review27" / "mallory.py"


SCRIPT = """
mount -o bind,ro /var/tmp /var/tmp && mount -o remount,bind,ro /var/tmp &&
mkdir -p /run/rv27 && mount --bind "$0" /run/rv27 &&
mount -t tmpfs -o ro,size=64k tmpfs /tmp && cd /sys && TMPDIR=/tmp exec "$@" --ledger /run/rv27/l.db verify
"""


@pytest.mark.slow
def test_verify_without_a_writable_temporary_folder_still_verifies(clean: Path, tmp_path: Path):  # noqa: F811
    ledger = tmp_path / "l.db"
    shutil.copy(clean, ledger)
    shutil.copy(clean.with_name("l.views.db"), tmp_path / "l.views.db")
    command = [sys.executable, "-m", "cli.main"]
    try:
        done = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", SCRIPT, str(ledger.parent),
                               *command], capture_output=True, text=True, timeout=120,
                              cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if "mount" in done.stderr:
        pytest.skip(f"no mounts here: {done.stderr.strip()}")
    assert done.returncode == 0 and done.stdout.startswith("ok:"), done.stdout + done.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not Path("/usr/bin/python3").exists(),
                    reason="needs root, setpriv and a system python for the other user")
def test_a_hot_journal_another_user_plants_in_the_shared_temporary_folder_changes_nothing(clean: Path):  # noqa: F811
    """A hot rollback journal beside the scratch file, whose pages are those of the forged read
    models, would make SQLite roll them into the replay; the replay's folder is verify's own."""
    base = Path(tempfile.mkdtemp(prefix="rv-", dir="/tmp/rv" if Path("/tmp/rv").is_dir() else None))
    try:
        base.chmod(0o755)
        shared, ledger = base / "shared", base / "ledger"
        shared.mkdir()
        shared.chmod(0o1777)
        ledger.mkdir()
        ledger.chmod(0o755)
        shutil.copy(clean, ledger / "l.db")
        shutil.copy(clean.with_name("l.views.db"), ledger / "l.views.db")
        with sqlite3.connect(ledger / "l.views.db", isolation_level=None) as conn:
            conn.execute("UPDATE figures SET amount_cents = amount_cents + 100000000")  # a million euros each
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (ledger / "l.views.db").chmod(0o644)
        verify = [sys.executable, "-m", "cli.main", "--ledger", str(ledger / "l.db"), "verify"]
        env = {**os.environ, "TMPDIR": str(shared)}
        cwd = ROOT
        control = subprocess.run(verify, capture_output=True, text=True, env=env, cwd=cwd)
        assert "TAMPERED: read model figures differs" in control.stdout + control.stderr
        mallory = subprocess.Popen(["setpriv", "--reuid=1002", "--regid=1002", "--clear-groups", "/usr/bin/python3",
                                    str(MALLORY), str(ledger / "l.views.db"), "6", str(shared)],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        done = subprocess.run(verify, capture_output=True, text=True, env=env, cwd=cwd)
        said, _ = mallory.communicate(timeout=30)
        assert "TAMPERED: read model figures differs" in done.stdout + done.stderr, done.stdout + done.stderr
        planted, refused = int(said.split()[1]), int(said.split()[3])
        assert planted == 0 and refused > 0, said  # she found the replay's folder and could not write there
    finally:
        subprocess.run(["rm", "-rf", str(base)])
