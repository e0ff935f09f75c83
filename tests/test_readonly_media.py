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
    assert bg.event_count() == 4  # opened, chart, recorded, adopted
