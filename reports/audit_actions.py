"""The audit actions of reports and exports, with their display text."""

RESULTS_VIEWED = "report.results_viewed"
REPORT_DOWNLOADED = "report.downloaded"
EXPORTED = "report.exported"
REPORT_FILED = "report.filed"
FILED_REPORT_DOWNLOADED = "report.filed_downloaded"
FILING_REQUESTED = "report.filing_requested"
EXPORT_REQUESTED = "report.export_requested"
EXPORT_DOWNLOADED = "report.export_downloaded"
EXPORT_DELETED = "report.export_deleted"

ACTIONS = {
    RESULTS_VIEWED: "Viewed results",
    REPORT_DOWNLOADED: "Downloaded a report",
    EXPORTED: "Exported data",
    REPORT_FILED: "Filed the intake report",
    FILED_REPORT_DOWNLOADED: "Downloaded a filed report",
    FILING_REQUESTED: "Asked for the intake report to be filed again",
    EXPORT_REQUESTED: "Asked for a clinic export",
    EXPORT_DOWNLOADED: "Downloaded a clinic export",
    EXPORT_DELETED: "Deleted a clinic export (kept for the clinic's retention period)",
}
