"""The audit actions of clients, screenings and safety flags, with their display text."""

CLIENT_CREATED = "client.created"
CLIENT_VIEWED = "client.viewed"
CLIENT_ASSIGNED = "client.assigned"
CLIENT_SCHEDULE_CHANGED = "client.schedule_changed"
SCREENING_STARTED = "screening.started"
SCREENING_COMPLETED = "screening.completed"
SCREENING_AMENDED = "screening.amended"
SCREENING_DISCARDED = "screening.discarded"
SCREENING_OPENED = "screening.opened"
FLAG_FOLLOW_UP = "flag.follow_up"
FLAG_RAISED = "flag.raised"
FLAG_WITHDRAWN = "flag.withdrawn"
LINK_CREATED = "selfreport.link_created"
LINK_OPENED = "selfreport.link_opened"
LINK_SUBMITTED = "selfreport.link_submitted"
LINK_REVOKED = "selfreport.link_revoked"
LINK_LAPSED = "selfreport.link_lapsed"
LINK_REFUSED = "selfreport.link_refused"
TABLET_ENTERED = "selfreport.tablet_entered"
TABLET_STOPPED = "selfreport.tablet_stopped"
TABLET_LEFT = "selfreport.tablet_left"
TABLET_PASSWORD_FAILED = "selfreport.tablet_password_failed"
ACCESS_REFUSED = "access.refused"
ADMIN_VIEWED_RECORD = "admin.viewed_record"
RELIABILITY_ESTIMATED = "screening.reliability_estimated"

ACTIONS = {
    CLIENT_CREATED: "Added a client",
    CLIENT_VIEWED: "Viewed a client",
    CLIENT_ASSIGNED: "Changed client assignment",
    CLIENT_SCHEDULE_CHANGED: "Changed a client's re-screening schedule",
    SCREENING_STARTED: "Started a screening",
    SCREENING_COMPLETED: "Completed a screening",
    SCREENING_AMENDED: "Amended a screening",
    SCREENING_DISCARDED: "Discarded a draft",
    SCREENING_OPENED: "Opened a screening's answers",
    FLAG_FOLLOW_UP: "Recorded a safety follow-up",
    FLAG_RAISED: "Safety flag raised",
    FLAG_WITHDRAWN: "Safety flag withdrawn (entered in error)",
    LINK_CREATED: "Created a self-report link",
    LINK_OPENED: "Client opened a self-report link",
    LINK_SUBMITTED: "Client submitted a self-report link",
    LINK_REVOKED: "Cancelled a self-report link",
    LINK_LAPSED: "A self-report link ended (expired or cancelled) before the client sent it",
    LINK_REFUSED: "Refused a self-report link (used, expired, cancelled or unknown)",
    TABLET_ENTERED: "Handed the tablet to the client (self-report)",
    TABLET_STOPPED: "Client stopped answering on the tablet",
    TABLET_LEFT: "Took the tablet back from the client",
    TABLET_PASSWORD_FAILED: "Wrong password when taking the tablet back",
    ACCESS_REFUSED: "Refused access to a record (not theirs to open, or no such record)",
    ADMIN_VIEWED_RECORD: "Viewed a clinical record in the site admin",
    RELIABILITY_ESTIMATED: "Made the month's reliability estimates (scheduled job)",
}
