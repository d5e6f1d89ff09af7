"""Whether a job of a task is already waiting in its queue, on the database queue (django-tasks-db) or
RQ: a self-rescheduling chain (the export clean-up, the monthly reliability estimates) is queued once,
however often `manage.py schedule_jobs` runs. Other backends cannot be asked: "no"."""


def is_waiting(task):
    path = task.module_path
    backend = task.get_backend()
    if backend.__class__.__name__ == "DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        return DBTaskResult.objects.filter(task_path=path, status="READY", backend_name=backend.alias).exists()
    if backend.__class__.__name__ == "RQBackend":
        import django_rq
        from rq.registry import ScheduledJobRegistry

        queue = django_rq.get_queue(task.queue_name)
        waiting = ScheduledJobRegistry(queue=queue).get_job_ids() + queue.get_job_ids()
        jobs = [job for job in queue.job_class.fetch_many(waiting, connection=queue.connection) if job is not None]
        return any(job.func_name == path for job in jobs)
    return False
