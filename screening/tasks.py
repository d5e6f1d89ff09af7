"""The background jobs of the screening app (Django's tasks API, through django-tasks), run by the same
workers as the reports app's (`manage.py db_worker`, or `manage.py rqworker default` with RQ)."""

import logging

from django_tasks import task

from screening import estimates

logger = logging.getLogger(__name__)


@task()
def estimate_reliability():
    """Make this month's reliability estimates (screening/estimates.py), then queue the next run for the
    first day of next month at 02:00: the chain that `manage.py schedule_jobs` starts."""
    failed = True
    try:
        result = estimates.compute_month()
        failed = False
        return {"as_of": result.as_of.isoformat(), "created": len(result.created)}
    finally:
        try:
            # A failed run is tried again in an hour: once next month's estimates exist, this month's
            # can never be added.
            estimates.schedule_next(retry=failed)
        except Exception:  # a queue that is down now: schedule_jobs (run at each start) starts it again
            logger.exception("Could not queue the next run of the reliability estimates")
