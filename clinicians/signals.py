"""What the accounts app announces. The audit app listens and writes the trail (it sits above us, so
we never import it): an account action sends `account_action` inside the action's own transaction.

    account_action.send(sender=User, action=INVITED, actor=Actor, obj=invitation, detail=email)
"""

from django.dispatch import Signal

account_action = Signal()
