"""Who did something, and from where: passed from a request to the service that does the action."""

from dataclasses import dataclass


def client_ip(request):
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request. Behind a proxy,
    # configure the proxy to pass the real address in REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR") if request is not None else None


@dataclass(frozen=True)
class Actor:
    user: object = None  # clinicians.models.User, or None for an anonymous request or a system job
    ip: str | None = None
    email: str = ""  # as typed, when there is no user (a failed login); "client (self-report)"
    for_clinic_id: object = None  # the clinic an action without a user belongs to (a client's self-report)

    @classmethod
    def from_request(cls, request, user=None):
        user = user or getattr(request, "user", None)
        if user is not None and not user.is_authenticated:
            user = None
        return cls(user=user, ip=client_ip(request))

    @property
    def clinic_id(self):
        return self.user.clinic_id if self.user is not None else self.for_clinic_id


SYSTEM = Actor()  # management commands, the demo, background work
