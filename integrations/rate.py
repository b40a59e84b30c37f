"""The per-token request counter of the API's rate limit: an UNLOGGED table (no WAL, no disk
flush; losing the current minute's counts in a crash is harmless), one row per token and clock
minute."""

from django.db import connection

# The count is a step of the request's token lookup (integrations.tokens.token_for_request:
# one round trip for both): `token_cte` names the CTE holding the found token's id; nothing is
# counted when it is empty. RETURNING: the token's requests this minute, this one included.
COUNT_CTE = """
    INSERT INTO integrations_ratecounter (token_id, minute, count)
    SELECT id, %(minute)s, 1 FROM {token_cte}
    ON CONFLICT (token_id, minute) DO UPDATE SET count = integrations_ratecounter.count + 1
    RETURNING count
"""


def forget_older_minutes(*, token_id: int, minute: int) -> None:
    """Run on a token's first request of a minute: its counts of earlier minutes are done with."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM integrations_ratecounter WHERE token_id = %s AND minute < %s", [token_id, minute])
