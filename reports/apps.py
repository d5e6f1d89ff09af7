from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        # screening announces a completion or an amendment (it may not import reports); the intake
        # report of that version is filed by a background job (reports/filing.py).
        from reports import filing
        from screening.models import Screening
        from screening.signals import screening_locked

        screening_locked.connect(filing.on_screening_locked, sender=Screening, dispatch_uid="reports.filing")
