"""Login throttling (django-axes): which address a request comes from, and the per-account
limit on top of the per-(user, address) one."""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum


def client_ip(request) -> str:
    """REMOTE_ADDR, unless TRUSTED_PROXY_COUNT proxies sit in front of us.

    X-Forwarded-For is written by the client first and by each proxy after it, so only the
    entry added by our own outermost proxy can be trusted: counting from the right. Without
    trusted proxies the header is ignored, so a spoofed header cannot reset the count.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


class AccountLimitHandler(AxesDatabaseHandler):
    """Axes' database handler with two limits: AXES_FAILURE_LIMIT failures per (user, address),
    and AXES_ACCOUNT_FAILURE_LIMIT per user from any address (an attacker with many addresses,
    or a botnet behind a trusted proxy, would never reach the first). Both counts only hold
    failures within AXES_COOLOFF_TIME, and a lockout lasts that long after the last failure.

    Axes compares one number with one limit, so the per-account count is scaled to the
    per-(user, address) limit: floor(account × limit / account_limit) reaches `limit` exactly
    when `account` reaches `account_limit`. AXES_LOCKOUT_PARAMETERS lists the pair first,
    then the user alone.
    """

    def get_failures(self, request, credentials=None) -> int:
        per_pair, per_account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit, account_limit = settings.AXES_FAILURE_LIMIT, settings.AXES_ACCOUNT_FAILURE_LIMIT
        return max(per_pair, per_account * limit // account_limit)
