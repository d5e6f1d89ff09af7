"""The audit actions of reports and exports, with their display text."""

RESULTS_VIEWED = "report.results_viewed"
REPORT_DOWNLOADED = "report.downloaded"
EXPORTED = "report.exported"

ACTIONS = {
    RESULTS_VIEWED: "Viewed results",
    REPORT_DOWNLOADED: "Downloaded a report",
    EXPORTED: "Exported data",
}
