"""The audit actions of reports and exports, with their display text."""

RESULTS_VIEWED = "report.results_viewed"
REPORT_DOWNLOADED = "report.downloaded"
EXPORTED = "report.exported"
EXPORT_REQUESTED = "report.export_requested"
EXPORT_DOWNLOADED = "report.export_downloaded"
EXPORT_DELETED = "report.export_deleted"

ACTIONS = {
    RESULTS_VIEWED: "Viewed results",
    REPORT_DOWNLOADED: "Downloaded a report",
    EXPORTED: "Exported data",
    EXPORT_REQUESTED: "Asked for a clinic export",
    EXPORT_DOWNLOADED: "Downloaded a clinic export",
    EXPORT_DELETED: "Deleted a clinic export (kept for the clinic's retention period)",
}
