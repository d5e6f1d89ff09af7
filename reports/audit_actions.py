"""The audit actions of reports and exports, with their display text."""

RESULTS_VIEWED = "report.results_viewed"
REPORT_DOWNLOADED = "report.downloaded"
EXPORTED = "report.exported"
REPORT_FILED = "report.filed"
FILED_REPORT_DOWNLOADED = "report.filed_downloaded"
FILING_REQUESTED = "report.filing_requested"

ACTIONS = {
    RESULTS_VIEWED: "Viewed results",
    REPORT_DOWNLOADED: "Downloaded a report",
    EXPORTED: "Exported data",
    REPORT_FILED: "Filed the intake report",
    FILED_REPORT_DOWNLOADED: "Downloaded a filed report",
    FILING_REQUESTED: "Asked for the intake report to be filed again",
}
