"""The background jobs of the reports app (Django's tasks API, through django-tasks): run by
`manage.py db_worker` with the database queue, or `manage.py rqworker default` with RQ."""

import logging

from django_tasks import task

from reports import jobs

logger = logging.getLogger(__name__)


@task()
def make_export(export_id):
    """Make one clinic export (reports/jobs.py): its row says how far it got, and how it ended."""
    return jobs.run_export(export_id)


@task()
def purge_expired_exports():
    """Delete the exports past their clinic's retention, then queue the next clean-up (about an
    hour later, EXPORT_PURGE_EVERY_MINUTES): the chain that `manage.py schedule_jobs` starts."""
    try:
        return jobs.purge_expired()
    finally:
        try:
            jobs.schedule_purge()
        except Exception:  # a queue that is down now: schedule_jobs (run at each start) starts it again
            logger.exception("Could not queue the next clean-up of expired exports")
