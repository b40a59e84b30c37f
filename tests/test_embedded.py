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


# --- settings sized to the machine (issue 22) ----------------------------------------------

GB = 1024**3


def test_settings_grow_with_the_memory_of_the_machine():
    small, large = embedded.server_settings(2 * GB), embedded.server_settings(24 * GB)
    assert small["shared_buffers"] == "512MB" and small["effective_cache_size"] == "1536MB"
    assert large["shared_buffers"] == "6144MB" and large["effective_cache_size"] == "18432MB"
    assert embedded.server_settings(256 * GB)["shared_buffers"] == "8192MB"  # capped
    assert large["random_page_cost"] == "1.1" and large["jit"] == "off"
    # The confirmed import's two connections commit together (customers.import_parallel).
    assert int(small["max_prepared_transactions"]) >= 2


def test_the_settings_file_is_included_once_and_rewritten_before_each_start(pgdata, monkeypatch):
    monkeypatch.delenv(embedded.SETTINGS_VARIABLE, raising=False)
    (pgdata / "postgresql.conf").write_text("max_connections = 100\n")
    embedded.write_tuning()
    embedded.write_tuning()
    conf = (pgdata / "postgresql.conf").read_text()
    assert conf.count("include_if_exists = 'clientes.conf'") == 1
    tuning = (pgdata / "clientes.conf").read_text()
    assert "random_page_cost = '1.1'" in tuning and "jit = 'off'" in tuning


def test_the_environment_overrides_a_setting(pgdata, monkeypatch):
    (pgdata / "postgresql.conf").write_text("")
    monkeypatch.setenv(embedded.SETTINGS_VARIABLE, "shared_buffers=1GB, jit=on")
    embedded.write_tuning()
    tuning = (pgdata / "clientes.conf").read_text()
    assert "shared_buffers = '1GB'" in tuning and "jit = 'on'" in tuning
    assert "random_page_cost = '1.1'" in tuning


@pytest.mark.parametrize("value", ["shared_buffers", "shared_buffers=", "x=1;DROP", "jit=on' x"])
def test_a_nonsense_override_stops_the_start_with_a_message(pgdata, monkeypatch, value):
    (pgdata / "postgresql.conf").write_text("")
    monkeypatch.setenv(embedded.SETTINGS_VARIABLE, value)
    with pytest.raises(embedded.EmbeddedPostgresError, match="EMBEDDED_POSTGRES_SETTINGS"):
        embedded.write_tuning()
