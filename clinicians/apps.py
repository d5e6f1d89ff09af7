from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _create_cache_table(sender, using, **kwargs):
    # The database cache (settings.CACHES) needs its table: made here, so `migrate` is the one step.
    call_command("createcachetable", database=using, verbosity=0)


class CliniciansConfig(AppConfig):
    name = "clinicians"
    verbose_name = "Clinicians and clinics"

    def ready(self):
        post_migrate.connect(_create_cache_table, sender=self, dispatch_uid="bondscreen-cache-table")
