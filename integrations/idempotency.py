"""Creates sent with an `Idempotency-Key` header: the same key (per token) answers with the
first result and creates nothing more; the same key with a different body is refused.

The key's row is inserted in the create's own transaction, before the create: a second
request with the same key waits on the unique index until the first commits (then replays its
answer) or rolls back (then it runs itself). So two retries racing each other create one row."""

import hashlib
import json

from django.db import IntegrityError, transaction

from integrations.models import ApiToken, IdempotencyRecord

MAX_KEY_LENGTH = 200


class KeyReused(Exception):
    """The key was used for another request (another body or operation)."""


def request_hash(operation: str, body: dict) -> str:
    return hashlib.sha256((operation + json.dumps(body, sort_keys=True, default=str)).encode()).hexdigest()


def run_once(*, token: ApiToken, key: str | None, operation: str, body: dict, action) -> tuple[int, dict, bool]:
    """(status, body, replayed). ``action()`` returns (status, body) and runs inside the
    transaction; it may raise to roll back (nothing is kept for the key then)."""
    if not key:
        with transaction.atomic():
            status, answer = action()
        return status, answer, False
    digest = request_hash(operation, body)
    previous = _previous(token, key)
    if previous is not None:
        return _replay(previous, operation, digest)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                token=token, key=key, operation=operation, request_hash=digest, status=0, body={}
            )
            status, answer = action()
            record.status, record.body = status, answer
            record.save(update_fields=["status", "body"])
    except IntegrityError:
        # Another request with this key committed first (we waited on its row): replay it.
        previous = _previous(token, key)
        if previous is None:
            raise
        return _replay(previous, operation, digest)
    return status, answer, False


def _previous(token: ApiToken, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(token=token, key=key).first()


def _replay(record: IdempotencyRecord, operation: str, digest: str) -> tuple[int, dict, bool]:
    if record.operation != operation or record.request_hash != digest:
        raise KeyReused
    return record.status, record.body, True
