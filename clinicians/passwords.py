"""Password reset by email, rate-limited, with the same answer and the same work in the request
whether or not the address has an account: the lookup and the mail happen after the response."""

import logging
import threading

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import connections
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator

from clinicians.ratelimit import rate_limited

log = logging.getLogger(__name__)


def _run_in_thread(func, kwargs):
    try:
        func(**kwargs)
    except Exception:  # a mail server down must not go unnoticed, nor take the worker with it
        log.exception("Background job %s failed", getattr(func, "__qualname__", func))
    finally:
        connections.close_all()  # this thread's own database connections


def in_background(func, **kwargs):
    """Run func(**kwargs) in a thread of its own, after which the request does not wait; returns the
    thread. With MAIL_IN_BACKGROUND off (the test settings) it runs at once, in the request."""
    if not settings.MAIL_IN_BACKGROUND:
        func(**kwargs)
        return None
    # Not a daemon: a worker that is shut down finishes sending first.
    thread = threading.Thread(target=_run_in_thread, args=(func, kwargs), name="bondscreen-mail")
    thread.start()
    return thread


@method_decorator(rate_limited("password_reset", "password reset requests"), name="post")
class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form):
        # Everything the form's save() needs from the request, read now: the request is over by the
        # time the thread runs. save() looks the address up and mails each active account with it.
        in_background(
            form.save,
            domain_override=self.request.get_host(),
            use_https=self.request.is_secure(),
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())
