"""The attack suite: every URL of the project, every kind of visitor.

RULES is the list of who may open what. It is checked against the URLconf, so a new URL without a
rule fails test_every_url_has_a_rule rather than slipping through untested.
"""

import hashlib
import re
import uuid
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from audit.models import AuditEvent
from clinicians.actors import Actor
from clinicians.models import User
from reports.models import FiledReport, report_storage
from screening import selfreport
from screening.models import Client
from tests.conftest import PASSWORD, log_in_verified


@dataclass(frozen=True)
class Rule:
    access: str  # public | login | member | admin | client | client_admin | screening | flag | member_admin | export | staff
    methods: tuple = ("get",)
    record: str = ""  # which record the URL names: client, draft, completed, member, export
    json: bool = False  # answers in JSON: a refusal is a JSON status (401 when logged out), not a redirect


RULES = {
    "screening:home": Rule("member"),
    "screening:client_list": Rule("member", ("get", "post")),
    "screening:client_create": Rule("member", ("get", "post")),
    "screening:client_detail": Rule("client", record="client"),
    "screening:client_assign": Rule("client_admin", ("get", "post"), record="client"),
    "screening:screening_start": Rule("client", ("post",), record="client"),
    "reports:client_progress": Rule("client", record="client"),
    "reports:progress_pdf": Rule("client", record="client"),
    "reports:client_history_csv": Rule("client", record="client"),
    "screening:client_schedule": Rule("client", ("get", "post"), record="client"),
    "screening:screening_amend": Rule("screening", ("get", "post"), record="completed"),
    "screening:screening_step": Rule("screening", ("get", "post"), record="draft"),
    "screening:screening_autosave": Rule("screening", ("post",), record="draft", json=True),
    "screening:screening_complete": Rule("screening", ("post",), record="draft"),
    "screening:screening_discard": Rule("screening", ("get", "post"), record="draft"),
    "reports:results": Rule("screening", record="completed"),
    "reports:intake_pdf": Rule("screening", record="completed"),
    "reports:filed_report": Rule("screening", record="completed"),
    "reports:file_report_again": Rule("screening", ("post",), record="completed"),
    "screening:flag_detail": Rule("flag", ("get", "post"), record="flag"),
    "screening:self_report": Rule("screening", record="draft"),
    "screening:tablet_hand_over": Rule("screening", ("post",), record="draft"),
    "screening:link_create": Rule("screening", ("post",), record="draft"),
    "screening:link_revoke": Rule("screening", ("get", "post"), record="draft"),
    # The tablet's pages: a signed-in session that handed a draft over (test_self_report checks the
    # rest: no hand-over, nothing to see; handed over, nothing else to see).
    "selfreport:tablet_start": Rule("login"),
    "selfreport:tablet_finish": Rule("login", ("get", "post")),
    "selfreport:tablet_done": Rule("login"),
    "selfreport:tablet_return": Rule("login", ("get", "post")),
    "selfreport:tablet_section": Rule("login", ("get", "post")),
    "selfreport:tablet_autosave": Rule("login", ("post",), json=True),
    # A link's pages: no login; the token is the key, and one that opens nothing is a plain 404.
    "selfreport:link_start": Rule("public"),
    "selfreport:link_finish": Rule("public", ("get", "post")),
    "selfreport:link_done": Rule("public"),
    "selfreport:link_section": Rule("public", ("get", "post")),
    "selfreport:link_autosave": Rule("public", ("post",), json=True),
    "clinicians:clinic_settings": Rule("admin", ("get", "post")),
    "clinicians:members": Rule("admin"),
    "clinicians:invite": Rule("admin", ("post",)),
    "clinicians:member_deactivate": Rule("member_admin", ("get", "post"), record="member"),
    "clinicians:member_reactivate": Rule("member_admin", ("get", "post"), record="member"),
    "clinicians:member_unlock": Rule("member_admin", ("post",), record="member"),
    "clinicians:member_reset_two_factor": Rule("member_admin", ("get", "post"), record="member"),
    "reports:clinic_export": Rule("admin"),
    "reports:clinic_export_screenings": Rule("admin"),
    "reports:clinic_export_items": Rule("admin"),
    "reports:export_request": Rule("admin", ("post",)),
    # One export of the clinic: its clinic admins only; another clinic's admin gets a 404.
    "reports:export_detail": Rule("export", record="export"),
    "reports:export_status": Rule("export", record="export"),
    "reports:export_download": Rule("export", record="export"),
    "reports:export_retry": Rule("export", ("post",), record="export"),
    "reports:audit_trail": Rule("admin"),
    "reports:audit_trail_csv": Rule("admin"),
    "reports:measurement": Rule("admin"),
    "reports:measurement_csv": Rule("admin"),
    "clinicians:invitation_accept": Rule("public"),
    "healthz": Rule("public"),
    "login": Rule("public", ("get", "post")),
    "clinicians:two_factor_verify": Rule("login"),
    "clinicians:two_factor_setup": Rule("login"),
    "logout": Rule("login", ("post",)),
    "password_change": Rule("login"),
    "password_change_done": Rule("login"),
    "password_reset": Rule("public", ("get", "post")),
    "password_reset_done": Rule("public"),
    "password_reset_confirm": Rule("public"),
    "password_reset_complete": Rule("public"),
    # The Django admin site, every URL of it (ADMIN_PAGES below): site staff past their second factor.
    "admin:*": Rule("staff"),
}

RECORD_KINDS = {"client", "client_admin", "screening", "flag", "member_admin", "export"}
ASSIGNED_KINDS = {"client", "screening", "flag"}
ADMIN_KINDS = {"admin", "client_admin", "member_admin", "export"}


def _project_url_names(patterns=None, namespace=""):
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                names.add("admin:*")  # one rule for the whole admin site, checked on ADMIN_PAGES
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _project_url_names(pattern.url_patterns, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_url_has_a_rule():
    assert _project_url_names() == set(RULES)


def _file_a_report(screening):
    """A filed report of the screening, made here without rendering (tests/test_filed_reports.py renders)."""
    content = b"%PDF-1.4 filed for the access tests"
    name = report_storage().save(f"filed/{uuid.uuid4().hex}.pdf", ContentFile(content))
    FiledReport.objects.create(screening=screening, version=0, file=name, size=len(content),
                               sha256=hashlib.sha256(content).hexdigest())


@pytest.fixture
def world(clinic, clinician, teammate, clinic_admin, outsider, other_clinic, client_record, make_screening, staff):
    other_client = Client.objects.create(clinic=clinic, code="C-0002", created_by=clinician)
    other_client.assigned.add(clinician)
    outsider_admin = User.objects.create_user("oscar@hillside.test", PASSWORD, clinic=other_clinic, role=User.Role.ADMIN)
    draft = make_screening(other_client, clinician, complete=False, instrument_key="tbsc-2")
    link, token = selfreport.create_link(draft, Actor(clinician))
    completed = make_screening(client_record, clinician, safety_yes=("safety-physical-violence",))
    _file_a_report(completed)
    export = _ready_export(clinic, clinic_admin)
    return {
        "export": export,
        "client": client_record,
        "completed": completed,
        "flag": completed.safety_flags.get(),
        "draft": draft,
        "link": link,
        "token": token,
        "member": teammate,
        "clinician": clinician,
        "teammate": teammate,
        "admin": clinic_admin,
        "outsider": outsider,
        "outsider_admin": outsider_admin,
        "staff": staff,
    }


def _ready_export(clinic, admin):
    """A finished export of the clinic, its file in the (test) reports storage."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports.models import Export, report_storage

    name = report_storage().save("exports/world.parquet", ContentFile(b"PAR1"))
    return Export.objects.create(
        clinic=clinic, requested_by=admin, kind=Export.Kind.ITEMS_PARQUET, params_key="0" * 64,
        status=Export.Status.READY, file=name, size=4, sha256="a" * 64, finished_at=timezone.now(),
        expires_at=timezone.now() + timezone.timedelta(days=7))


def _url(name, rule, world):
    if name == "admin:*":
        return reverse("admin:index")
    if name in ("screening:screening_step", "screening:screening_autosave"):
        return reverse(name, args=[world["draft"].id, "bonds"])
    if name == "clinicians:invitation_accept":
        return reverse(name, args=["no-such-token"])
    if name == "screening:link_revoke":
        return reverse(name, args=[world["draft"].id, world["link"].id])
    if name in ("selfreport:tablet_section", "selfreport:tablet_autosave"):
        return reverse(name, args=["safety"])
    if name in ("selfreport:link_section", "selfreport:link_autosave"):
        return reverse(name, args=[world["token"], "safety"])
    if name.startswith("selfreport:link_"):
        return reverse(name, args=[world["token"]])
    if name == "reports:filed_report":
        return reverse(name, args=[world["completed"].id, 0])
    if name == "password_reset_confirm":
        return reverse(name, args=["MQ", "set-password"])
    if rule.record:
        return reverse(name, args=[world[rule.record].id])
    return reverse(name)


def _cases(predicate):
    return [
        pytest.param(name, rule, method, id=f"{name}-{method}")
        for name, rule in RULES.items() if predicate(rule)
        for method in rule.methods
    ]


def _send(client, method, url):
    # A harmless body: enough to reach the access check, never valid enough to change anything.
    return getattr(client, method)(url, {"instrument": "tbsc-1"} if method == "post" else None)


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access != "public"))
def test_anonymous_is_sent_to_login(client, world, name, rule, method):
    response = _send(client, method, _url(name, rule, world))
    _assert_sent_to_login(response, rule)


def _assert_sent_to_login(response, rule):
    if rule.json:
        assert response.status_code == 401 and response["Content-Type"] == "application/json"
        assert response.json()["message"]
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access in RECORD_KINDS))
def test_other_clinic_gets_404(client, world, name, rule, method):
    # The other clinic's admin, so an admin-only URL is refused for the record, not the role.
    client.force_login(world["outsider_admin"] if rule.access in ADMIN_KINDS else world["outsider"])
    response = _send(client, method, _url(name, rule, world))
    assert response.status_code == 404


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access in ASSIGNED_KINDS))
def test_unassigned_clinician_gets_404(client, world, name, rule, method):
    client.force_login(world["teammate"])
    assert _send(client, method, _url(name, rule, world)).status_code == 404


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access in ASSIGNED_KINDS))
def test_open_clinic_lets_unassigned_clinician_in(client, world, name, rule, method):
    world["teammate"].clinic.all_clients_open = True
    world["teammate"].clinic.save()
    client.force_login(world["teammate"])
    assert _send(client, method, _url(name, rule, world)).status_code not in (403, 404)


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access in ASSIGNED_KINDS))
def test_admin_sees_every_client(client, world, name, rule, method):
    client.force_login(world["admin"])
    assert _send(client, method, _url(name, rule, world)).status_code not in (403, 404)


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access in ADMIN_KINDS))
def test_non_admin_gets_403(client, world, name, rule, method):
    client.force_login(world["clinician"])
    assert _send(client, method, _url(name, rule, world)).status_code == 403


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: r.access != "public"))
def test_deactivated_user_has_no_access(client, world, name, rule, method):
    user = world["admin"] if rule.access in ADMIN_KINDS else world["clinician"]
    client.force_login(user)
    user.is_active = False
    user.save()
    response = _send(client, method, _url(name, rule, world))
    _assert_sent_to_login(response, rule)


# Who may open a URL of each kind: the logged-in visitor of test_pages_are_never_stored.
ALLOWED = {"public": "clinician", "login": "clinician", "member": "clinician", "client": "clinician",
           "screening": "clinician", "flag": "clinician", "admin": "admin", "client_admin": "admin",
           "member_admin": "admin", "export": "admin"}


@pytest.mark.parametrize("name,rule,method", _cases(lambda r: True))
def test_pages_are_never_stored(client, world, name, rule, method):
    """Every answer to a signed-in visitor says no-store: no browser or proxy keeps client data."""
    if rule.access == "staff":
        log_in_verified(client, world["staff"])
    else:
        client.force_login(world[ALLOWED[rule.access]])
    response = _send(client, method, _url(name, rule, world))
    assert "no-store" in response.get("Cache-Control", ""), response.status_code


def test_deactivated_user_cannot_log_in(client, clinician):
    clinician.is_active = False
    clinician.save()
    response = client.post(reverse("login"), {"username": clinician.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_outsider_post_changes_nothing(client, world):
    client.force_login(world["outsider"])
    draft = world["draft"]
    client.post(reverse("screening:screening_discard", args=[draft.id]))
    client.post(reverse("screening:screening_complete", args=[draft.id]), {"confirm": "1"})
    draft.refresh_from_db()
    assert draft.is_draft


def test_lists_show_only_own_clients(client, world):
    client.force_login(world["outsider"])
    for name in ("screening:home", "screening:client_list"):
        body = client.get(reverse(name)).content.decode()
        assert "C-0001" not in body and "C-0002" not in body
    client.force_login(world["teammate"])
    assert "C-0001" not in client.get(reverse("screening:client_list")).content.decode()


def test_csrf_token_is_required(world):
    from django.test import Client as BrowserClient

    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(world["clinician"])
    response = browser.post(reverse("screening:client_create"), {"code": "NO-CSRF"})
    assert response.status_code == 403
    assert not Client.objects.filter(code="NO-CSRF").exists()
    response = browser.post(reverse("login"), {"username": "x@y.z", "password": "x"})
    assert response.status_code == 403


def _page_without_csrf_token(response):
    # The masked CSRF token of the logout form changes with every page; nothing else may differ.
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


def test_probing_leaves_a_trace_for_the_prober_clinic_only(client, world):
    """Refused ids (another clinic's, not assigned, or none at all) are audited under the asker's
    clinic: its admin sees their own clinician probing; the record's clinic is never named."""
    outsider, target = world["outsider"], world["client"]
    client.force_login(outsider)
    url = reverse("screening:client_detail", args=[target.id])
    answers = [client.get(url) for _ in range(40)]
    missing = client.get(reverse("screening:client_detail", args=[uuid.uuid4()]))
    assert {r.status_code for r in answers} == {missing.status_code} == {404}
    assert {_page_without_csrf_token(r) for r in answers} == {_page_without_csrf_token(missing)}

    refused = AuditEvent.objects.filter(action="access.refused")
    assert refused.filter(actor=outsider, clinic=outsider.clinic, object_type="client", object_id=str(target.id)).count() == 40
    assert not refused.filter(clinic=target.clinic).exists()
    assert refused.filter(client_id__isnull=False).count() == 0  # nothing points at the other clinic's client
    row = refused.filter(object_id=str(target.id)).first()
    assert row.ip_address == "127.0.0.1" and row.detail == url

    client.force_login(world["outsider_admin"])
    page = client.get(reverse("reports:audit_trail"), {"action": "access.refused", "actor": outsider.id})
    assert page.context["page"].paginator.count == 41  # the 40, and the id that does not exist
    assert "C-0001" not in page.content.decode() and "Riverside" not in page.content.decode()
    client.force_login(world["admin"])
    assert client.get(reverse("reports:audit_trail"), {"action": "access.refused"}).context["page"].paginator.count == 0


def test_every_scoped_refusal_is_audited(client, world):
    """Screenings, flags and the JSON autosave refuse through the same helpers; an unassigned teammate too."""
    client.force_login(world["teammate"])
    for url in (reverse("reports:results", args=[world["completed"].id]),
                reverse("screening:flag_detail", args=[world["flag"].id]),
                reverse("reports:client_progress", args=[world["client"].id])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("screening:screening_autosave", args=[world["draft"].id, "bonds"])).status_code == 404
    rows = AuditEvent.objects.filter(action="access.refused", actor=world["teammate"]).order_by("id")
    assert [(r.object_type, r.object_id, r.clinic_id) for r in rows] == [
        ("screening", str(world["completed"].id), world["teammate"].clinic_id),
        ("safetyflag", str(world["flag"].id), world["teammate"].clinic_id),
        ("client", str(world["client"].id), world["teammate"].clinic_id),
        ("screening", str(world["draft"].id), world["teammate"].clinic_id),
    ]


# The Django admin site -------------------------------------------------------------------------

def _admin_pages(world):
    """The admin's index, every registered model's list, and the pages of the clinical records."""
    pages = [reverse("admin:index"), reverse("admin:login"), reverse("admin:password_change")]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    for record in (world["client"], world["completed"], world["flag"], world["draft"]):
        pages.append(reverse(f"admin:screening_{record._meta.model_name}_change", args=[record.id]))
    return pages


def test_admin_sends_anonymous_visitors_to_login(client, world):
    for page in _admin_pages(world):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), page


@pytest.mark.parametrize("who", ["clinician", "admin"])
def test_admin_is_closed_to_clinic_accounts(client, world, who):
    log_in_verified(client, world[who])  # past two-factor: refused for not being staff
    for page in _admin_pages(world):
        assert client.get(page).status_code == 403, page


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, world):
    client.force_login(world["staff"])
    for page in _admin_pages(world):
        response = client.get(page)
        assert response.status_code == 302 and response["Location"] == reverse("clinicians:two_factor_setup"), page
    assert client.get(reverse("clinicians:two_factor_setup")).status_code == 200


def test_staff_with_a_second_factor_must_verify_it(client, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world["staff"], name="Authenticator app", confirmed=True)
    client.force_login(world["staff"])
    for page in _admin_pages(world):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(reverse("clinicians:two_factor_verify") + "?next="), page


def test_verified_staff_open_the_admin(client, world):
    log_in_verified(client, world["staff"])
    for page in _admin_pages(world):
        response = client.get(page, follow=True)  # the admin's login page sends a signed-in user to the index
        assert response.status_code == 200, page
