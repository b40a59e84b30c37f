"""`manage.py test` without options: the whole suite shared out over the machine's cores."""

import pytest

from config.management.commands import test as test_command


@pytest.mark.parametrize(("cores", "workers"), [(2, "2"), (3, "3"), (16, "4")])
def test_the_whole_suite_runs_in_one_process_per_core_up_to_four(monkeypatch, cores, workers):
    monkeypatch.setattr(test_command, "cores", lambda: cores)
    assert test_command.whole_suite_options() == ["--numprocesses", workers]


def test_on_one_core_the_suite_runs_in_this_process(monkeypatch):
    monkeypatch.setattr(test_command, "cores", lambda: 1)
    assert test_command.whole_suite_options() == []


def test_options_given_go_to_pytest_as_they_are(monkeypatch):
    ran = []
    monkeypatch.setattr(test_command.os, "execv", lambda path, argv: ran.append(argv))
    test_command.Command().run_from_argv(["manage.py", "test", "tests/test_auth.py", "-k", "lockout"])
    test_command.Command().run_from_argv(["manage.py", "test"])
    assert ran[0][1:] == ["-m", "pytest", "tests/test_auth.py", "-k", "lockout"]
    assert ran[1][1:] == ["-m", "pytest", *test_command.whole_suite_options()]
