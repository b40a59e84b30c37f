import pytest

from customers import guards


@pytest.fixture
def delete_guards(monkeypatch):
    """customers.guards with empty registries for this test: a test registers the guard an app
    above (credit) would register at start-up, and it is gone after the test."""
    monkeypatch.setattr(guards, "_trash_guards", [])
    monkeypatch.setattr(guards, "_purge_guards", [])
    return guards
