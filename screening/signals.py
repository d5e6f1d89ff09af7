"""What screening announces to the apps after it (reports files the intake report), without
importing them: imports run one way, accounts → audit → screening → reports."""

from django.dispatch import Signal

# Sent once the transaction that completed or amended a screening has committed: the answers are
# locked and final for this version. kwargs: screening, version (0 at completion; n after the nth amendment).
screening_locked = Signal()
