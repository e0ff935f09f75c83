"""How a ledger file is opened: the path the user gives is a file name, never a URI; and a
ledger on a read-only medium (an archived copy) still answers show, verify, digest and sql."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CHART, Cli


@pytest.mark.parametrize("name", ["dir?x=1#frag/l.db", "Begroting 2024 #2/new.db", "pct%20dir/l.db"])
def test_a_ledger_path_with_uri_characters_is_a_plain_file_name(tmp_path: Path, name: str):
    # The user names a folder with ?, # or % in it: the ledger lands exactly there.
    bg = Cli(tmp_path / name, tmp_path)
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    assert (tmp_path / name).is_file()
    assert (tmp_path / name).with_name(Path(name).stem + ".views.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({name.split("/")[0], "kb.yaml"})
    assert bg.json("show")["lines"]
    assert bg.event_count() == 5  # opened, rules in force, chart, recorded, adopted


# ------------------------------------------------------------------ archived copies on read-only media

REPO = Path(__file__).resolve().parent.parent
# Tests run as root, for whom chmod stops no write: a read-only bind mount does, for anyone.
# It is made in a private mount namespace (unshare), so nothing outside the command sees it.
READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def _read_only_mounts_work(folder: Path) -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", READ_ONLY + " 2>/dev/null",
                            str(folder), "sh", "-c", "! touch \"$0/probe\"", str(folder)], capture_output=True)
    return probe.returncode == 0 and not (folder / "probe").exists()


def _on_read_only_medium(folder: Path, ledger: Path, *args: str):
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "cli.main", "--ledger", str(ledger), *args]
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", READ_ONLY, str(folder), *command],
                          capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "250"}, timeout=120)


def _listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("views", ["kept", "missing", "stale"])
def test_an_archived_copy_on_a_read_only_medium_answers_show_verify_digest_and_sql(tmp_path: Path, views: str):
    import json
    import shutil

    from tests.test_core import VOORJAARSNOTA

    archive = tmp_path / "archive"
    archive.mkdir()
    if not _read_only_mounts_work(archive):
        pytest.skip("no read-only bind mount here (needs unshare and mount rights)")
    # A ledger with two documents, as the controller left it; the auditor kept its digest.
    bg = Cli(archive / "ledger.db", tmp_path)
    bg("init", "--organisation", "Testorganisatie", "--years", "2025-2027")
    bg.record("kb.yaml", CHART)
    shutil.copy(archive / "ledger.views.db", tmp_path / "early.views.db")
    bg.record("vjn.yaml", VOORJAARSNOTA)
    shown, kept = bg.json("show"), bg("digest").stdout.strip()
    query = "select count(*) as n, sum(amount_cents) as total from figures"
    answer = bg.json("sql", query)
    if views == "missing":
        (archive / "ledger.views.db").unlink()
    elif views == "stale":
        shutil.copy(tmp_path / "early.views.db", archive / "ledger.views.db")
    for db in ("ledger.db", "ledger.views.db"):
        if (archive / db).exists():
            (archive / db).chmod(0o444)
    before = _listing(archive)
    # On the read-only medium every reading command answers as on the original.
    result = _on_read_only_medium(archive, archive / "ledger.db", "show", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == shown
    result = _on_read_only_medium(archive, archive / "ledger.db", "verify", "--digest", kept)
    assert result.returncode == 0 and "ledger extends the digest" in result.stdout, result.stderr
    result = _on_read_only_medium(archive, archive / "ledger.db", "digest")
    assert result.returncode == 0 and result.stdout.strip() == kept, result.stderr
    result = _on_read_only_medium(archive, archive / "ledger.db", "sql", query, "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == answer, result.stderr
    # A write is refused in one line, and the medium holds exactly what it held.
    result = _on_read_only_medium(archive, archive / "ledger.db", "extend", "--to", "2028")
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "internal error" not in result.stderr
    assert "read-only medium" in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = _on_read_only_medium(archive, archive / "ledger.db", "report", "--html", str(archive / "r.html"))
    assert result.returncode == 1 and "--html" in result.stderr and "Read-only file system" in result.stderr
    assert _listing(archive) == before
