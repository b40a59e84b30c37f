"""The embedded server's bookkeeping survives processes killed at the worst moment."""

import json
import os

import pytest

from config import embedded


@pytest.fixture
def pgdata(tmp_path, monkeypatch):
    monkeypatch.setattr(embedded, "PGDATA", tmp_path)
    return tmp_path


def test_a_half_written_list_of_processes_is_repaired(pgdata):
    (pgdata / ".handle_pids.json").write_text("")
    embedded._prune_dead_handles()
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == []


def test_processes_killed_without_goodbye_are_forgotten(pgdata):
    dead = 4194304 + 1  # above the largest pid_max Linux allows: no such process
    (pgdata / ".handle_pids.json").write_text(json.dumps([os.getpid(), dead]))
    embedded._prune_dead_handles()
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == [os.getpid()]


def test_a_stale_postmaster_pid_of_another_program_is_removed(pgdata):
    (pgdata / "postmaster.pid").write_text(f"{os.getpid()}\n{pgdata}\n")
    embedded._remove_stale_postmaster_pid()
    assert not (pgdata / "postmaster.pid").exists()
