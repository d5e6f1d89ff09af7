from django.urls import path

from reports.views import audit, exports, filed, intake, measurement, progress

app_name = "reports"

urlpatterns = [
    path("screenings/<uuid:screening_id>/", intake.results, name="results"),
    path("screenings/<uuid:screening_id>/report.pdf", intake.intake_pdf, name="intake_pdf"),
    path("screenings/<uuid:screening_id>/filed/<int:version>.pdf", filed.filed_report, name="filed_report"),
    path("screenings/<uuid:screening_id>/filed/again", filed.file_report_again, name="file_report_again"),
    path("clients/<uuid:client_id>/progress/", progress.client_progress, name="client_progress"),
    path("clients/<uuid:client_id>/progress.pdf", progress.progress_pdf, name="progress_pdf"),
    path("clients/<uuid:client_id>/history.csv", exports.client_history_csv, name="client_history_csv"),
    path("clinic/export/", exports.clinic_export, name="clinic_export"),
    path("clinic/export/new", exports.export_request, name="export_request"),
    path("clinic/export/<uuid:export_id>/", exports.export_detail, name="export_detail"),
    path("clinic/export/<uuid:export_id>/status.json", exports.export_status, name="export_status"),
    path("clinic/export/<uuid:export_id>/download", exports.export_download, name="export_download"),
    path("clinic/export/<uuid:export_id>/retry", exports.export_retry, name="export_retry"),
    # Streamed straight from the database in the request (kept for scripts; the page offers the jobs).
    path("clinic/export/screenings.csv", exports.clinic_export_csv, {"what": "screenings"}, name="clinic_export_screenings"),
    path("clinic/export/items.csv", exports.clinic_export_csv, {"what": "items"}, name="clinic_export_items"),
    path("clinic/audit/", audit.audit_trail, name="audit_trail"),
    path("clinic/audit.csv", audit.audit_trail_csv, name="audit_trail_csv"),
    path("clinic/measurement/", measurement.measurement_page, name="measurement"),
    path("clinic/measurement.csv", measurement.measurement_csv, name="measurement_csv"),
]
