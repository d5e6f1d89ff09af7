"""The audit actions of accounts and clinics, with their display text (collected by the audit app)."""

LOGIN = "account.login"
LOGOUT = "account.logout"
LOGIN_FAILED = "account.login_failed"
LOCKED_OUT = "account.locked_out"
UNLOCKED = "account.unlocked"
INVITED = "account.invited"
INVITATION_ACCEPTED = "account.invitation_accepted"
DEACTIVATED = "account.deactivated"
REACTIVATED = "account.reactivated"
TWO_FACTOR_ENABLED = "account.two_factor_enabled"
TWO_FACTOR_RESET = "account.two_factor_reset"
CLINIC_SETTINGS_CHANGED = "clinic.settings_changed"

ACTIONS = {
    LOGIN: "Logged in",
    LOGOUT: "Logged out",
    LOGIN_FAILED: "Failed login",
    LOCKED_OUT: "Locked out",
    UNLOCKED: "Unlocked",
    INVITED: "Sent an invitation",
    INVITATION_ACCEPTED: "Accepted an invitation",
    DEACTIVATED: "Deactivated a clinician",
    REACTIVATED: "Reactivated a clinician",
    TWO_FACTOR_ENABLED: "Turned on two-factor",
    TWO_FACTOR_RESET: "Reset two-factor",
    CLINIC_SETTINGS_CHANGED: "Changed clinic settings",
}
