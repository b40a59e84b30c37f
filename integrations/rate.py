"""The per-token request counter of the API's rate limit."""

from django.db import connection

_COUNT = """
    INSERT INTO integrations_ratecounter (token_id, minute, count) VALUES (%s, %s, 1)
    ON CONFLICT (token_id, minute) DO UPDATE SET count = integrations_ratecounter.count + 1
    RETURNING count
"""


def count_request(*, token_id: int, minute: int) -> int:
    """This request counted; how many the token made in that minute, this one included."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNT, [token_id, minute])
        count = cursor.fetchone()[0]
        if count == 1:  # the token's first request this minute: forget its older minutes
            cursor.execute(
                "DELETE FROM integrations_ratecounter WHERE token_id = %s AND minute < %s", [token_id, minute]
            )
    return count
