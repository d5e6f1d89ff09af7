"""Lockout after failed logins: django-axes with two limits, each with its own count.

- Per account: AXES_FAILURE_LIMIT (5) failures for one address, from anywhere, pause that account.
- Per address: LOGIN_ADDRESS_FAILURE_LIMIT (50) failures from one client address, across any
  accounts, pause logins from that address. Generous, because a clinic's staff usually share one
  public address; it stops one address trying a few passwords against every account.

AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"] tells axes that either one locks (a list of
lists would mean the combination), but axes compares both against one limit; this handler counts
each against its own. Both pause for AXES_COOLOFF_TIME after the last failure.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _recent_failures(request, **filters):
    attempts = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request), **filters)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def failure_counts(request, credentials=None):
    """(failures for this account, failures from this address) within the cool-off time."""
    username = get_client_username(request, credentials)
    return (_recent_failures(request, username=username),
            _recent_failures(request, ip_address=request.axes_ip_address))


def address_locked(request, credentials=None):
    return failure_counts(request, credentials)[1] >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class TwoLimitHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        # axes locks when this reaches AXES_FAILURE_LIMIT: the account's own count, or the limit
        # itself once the address has reached its (larger) limit.
        per_account, per_address = failure_counts(request, credentials)
        if per_address >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            return max(per_account, settings.AXES_FAILURE_LIMIT)
        return per_account

    def reset_user_attempts(self, request, credentials=None):
        # A successful login clears its own account's failures only: clearing the address's too would
        # let anyone with one account log in between guesses at the others.
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials)).delete()
        return count
