"""The parts of a results page that come from the screening's report, and its filing records, kept and
served again while nothing they show has changed.

Building the report and rendering it is most of the page's cost (history, flags carried from earlier
screenings, the change since the previous one). A part is kept under the client's revision and its
clinic's, which the database raises in the same transaction as any change the report could show: the
client's (screening migration 0015, reports 0003) for its screenings, answers, amendments, flags,
follow-ups, filed reports and filing jobs and its own row; the clinic's (clinicians 0014, screening
0015) for its own row (name, crisis resources), its clinicians' names and a new reliability estimate.
A request reads both with the screening it already fetches, so a follow-up recorded a second ago, or an
amendment, is a new key and the page is built again. The local date is in the key too (a carried flag
says how many days ago it was raised), and the script prefix (the links). What depends on the time is
worked out on every request: when flag statuses were read ("as of"), and whether a filing job still
counts as running.

The revisions are counters, not a sequence: a database restored from a backup can count again through
numbers a running process has kept pages for, so app servers are restarted after a restore (README).

The parts live in the process's own memory (the "pages" cache), never in a shared service. What is
around them (the filed-report card, its buttons and form, the menu, messages) is rendered for each
request.
"""

import secrets
from dataclasses import dataclass, replace

from django.core.cache import caches
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe

from reports.data import build_intake_report
from reports.filing import filing_records, filing_state
from reports.summary import intake_note_summary
from screening.models import Screening

# Stands for the "as of" time in a kept part; random per process (the cache is per process), so no text a
# user typed can match it.
AS_OF_MARK = f"asof{secrets.token_hex(12)}"
TEMPLATES = {
    "safety": "reports/_safety.html",
    "about": "reports/_results_about.html",
    "report": "reports/_results_report.html",
}


# What the page reads of a screening when its parts are kept: the view fetches only these (through the
# clinic scoping), and the whole row only when the parts are built.
LEAN_FIELDS = ("id", "status", "kind", "started_at", "completed_at", "amended_at", "client__id", "client__code",
               "client__revision", "client__clinic__id", "client__clinic__revision")


@dataclass(frozen=True)
class ResultsParts:
    safety: str
    about: str
    report: str


def cache_key(screening, now):
    return ":".join(["results", str(screening.pk), str(screening.client.revision), str(screening.client.clinic.revision),
                     timezone.localdate(now).isoformat(), timezone.get_current_timezone_name(), get_script_prefix()])


def render_parts(screening, now):
    """The report's parts as HTML with AS_OF_MARK where the "as of" time goes."""
    report = replace(build_intake_report(screening, appendix=False, now=now), as_of=AS_OF_MARK)
    context = {"screening": screening, "client": screening.client, "report": report,
               "summary": intake_note_summary(report)}
    return {name: render_to_string(template, context) for name, template in TEMPLATES.items()}


def results_parts(screening, now=None):
    """(ResultsParts, FilingState) for a completed screening (fetched with LEAN_FIELDS, or whole), from the
    cache while the client's and the clinic's revisions, the day, the time zone and the script prefix are
    those they were built at."""
    now = now or timezone.now()
    pages = caches["pages"]
    key = cache_key(screening, now)
    kept = pages.get(key)
    if kept is None:
        whole = Screening.objects.select_related("client__clinic", "clinician", "completed_by").get(pk=screening.pk)
        kept = {"parts": render_parts(whole, now), "filing": filing_records(whole)}
        pages.set(key, kept)
    as_of = f"{timezone.localtime(now):%Y-%m-%d %H:%M}"
    # The parts were rendered by templates with autoescaping; only the mark is replaced.
    parts = ResultsParts(**{name: mark_safe(html.replace(AS_OF_MARK, as_of)) for name, html in kept["parts"].items()})
    return parts, filing_state(screening, now, records=kept["filing"])
