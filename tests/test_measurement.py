"""The Measurement page and its CSV, for clinic admins: figures of constructed estimates, as printed."""

import html
import io
import re
from datetime import date

import pandas as pd
from django.urls import reverse

from audit.models import AuditEvent
from clinicians.models import User
from screening import reliability as R
from screening.instrument import load_instrument
from screening.models import ReliabilityEstimate
from tests.conftest import PASSWORD

INSTRUMENT = load_instrument("tbsc-2")
ALL = [i for i in INSTRUMENT.items_for_bond("abuser", intake=True)]
ASKED = [i.key for i in INSTRUMENT.items_for_bond("abuser", intake=False)]
ONLY_AT_INTAKE = [i for i in ALL if i.intake_only]


def _stats(r=0.41):
    return {i.key: {"answered": 70, "mean": 1.25, "sd": 0.875, "declined_pct": 2.5, "not_asked_pct": 1.0,
                    "not_applicable_pct": 0.0, "item_total_r": None if i.intake_only else r} for i in ALL}


def make_estimate(clinic, as_of=date(2026, 10, 1), n=64, alpha=0.913, source=R.CLINIC, clinics=1, **extra):
    figures = dict(alpha=alpha, alpha_low=0.871, alpha_high=0.941, sd=12.34) if n >= 50 else {}
    return ReliabilityEstimate.objects.create(
        clinic=clinic, instrument_key="tbsc-2", bond_type="abuser", as_of=as_of, source=source, clinics=clinics, n=n,
        items=ASKED, covariance=[], item_stats=_stats(), rule=R.ELIGIBILITY_RULE, **figures, **extra)


def _admin_client(client, clinic_admin):
    client.force_login(clinic_admin)
    return client


def _text(response):
    return " ".join(html.unescape(response.content.decode()).split())


def _plain(page):
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_page_prints_the_latest_estimate_its_items_and_n_over_time(client, clinic, clinic_admin):
    make_estimate(clinic, as_of=date(2026, 9, 1), n=31)
    make_estimate(clinic, as_of=date(2026, 10, 1))
    page = _text(_admin_client(client, clinic_admin).get(reverse("reports:measurement")))
    assert "2026-10-01 · source: this clinic · n = 64 complete intakes" in page
    assert "0.91 (95% interval 0.87 to 0.94), over the" in page and f"over the {len(ASKED)} items asked" in page
    assert "SD of the raw total</dt><dd class=\"col-sm-8 col-lg-9\">12.3</dd>" in page
    assert R.ELIGIBILITY_RULE in page
    assert page.count("<td class=\"text-end text-nowrap\">70</td>") == len(ALL)
    assert "<td class=\"text-end text-nowrap\">0.41</td>" in page and "<td class=\"text-end text-nowrap\">2.5</td>" in page
    assert ALL[0].text in page
    assert ONLY_AT_INTAKE and page.count("intake only, not in the total") == len(ONLY_AT_INTAKE)
    history = page.split("n over time")[1]
    assert re.search(r"<td>2026-10-01</td><td class=\"text-end text-nowrap\">64</td><td class=\"text-end text-nowrap\">0.91</td>.*"
                     r"<td>2026-09-01</td><td class=\"text-end text-nowrap\">31</td><td class=\"text-end text-nowrap\">no figures</td>", history)
    assert f'href="{reverse("reports:measurement_csv")}"' in page


def test_below_50_the_page_says_how_many_more_are_needed(client, clinic, clinic_admin):
    make_estimate(clinic, n=38)
    page = _plain(_text(_admin_client(client, clinic_admin).get(reverse("reports:measurement"))))
    assert "No figures. An estimate needs 50 complete intakes; this clinic had 38 at the estimate of 2026-10-01: " \
           "12 more needed." in page
    assert "95% interval" not in page


def test_without_an_estimate_the_page_says_they_are_made_monthly(client, clinic_admin):
    page = _text(_admin_client(client, clinic_admin).get(reverse("reports:measurement")))
    assert "No reliability estimate has been made yet. Estimates are made automatically on the first day of each month" in page
    assert "Item table as CSV" not in page


def test_a_pooled_estimate_names_its_source_and_another_clinic_sees_only_its_own(
        client, clinic, other_clinic, clinic_admin):
    make_estimate(clinic, source=R.POOLED, clinics=3)
    page = _text(_admin_client(client, clinic_admin).get(reverse("reports:measurement")))
    assert "source: pooled, 3 clinics" in page and "the pooled clinics' completed intakes" in page
    other = User.objects.create_user("oscar@hillside.test", PASSWORD, clinic=other_clinic, role=User.Role.ADMIN)
    client.force_login(other)
    page = _text(client.get(reverse("reports:measurement")))
    assert "No reliability estimate has been made yet" in page and "0.91" not in page
    csv = pd.read_csv(io.StringIO(client.get(reverse("reports:measurement_csv")).content.decode()))
    assert csv.empty


def test_the_csv_is_the_item_table_and_its_download_is_audited(client, clinic, clinic_admin):
    make_estimate(clinic)
    response = _admin_client(client, clinic_admin).get(reverse("reports:measurement_csv"))
    assert response["Content-Type"].startswith("text/csv") and "no-store" in response["Cache-Control"]
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    assert list(frame["item"]) == [i.key for i in ALL]
    first = frame.iloc[0]
    assert (first["checklist version"], first["bond"], first["estimate of"], first["source"]) == (
        "tbsc-2", "Abuser bond", "2026-10-01", "this clinic")
    assert first["wording"] == ALL[0].text
    assert (first["answered"], first["mean"], first["SD"], first["% declined"], first["% not asked"],
            first["% not applicable"]) == (70, 1.25, 0.875, 2.5, 1.0, 0.0)
    only = frame[frame["intake only, not in the total"] == "yes"]
    assert list(only["item"]) == [i.key for i in ONLY_AT_INTAKE] and only["corrected item-total r"].isna().all()
    assert set(frame[frame["intake only, not in the total"] == "no"]["corrected item-total r"]) == {0.41}
    event = AuditEvent.objects.filter(actor=clinic_admin, detail="measurement item table CSV").get()
    assert event.action == "report.exported"


def test_csv_text_cells_cannot_start_a_formula():
    from reports.measurement import BondEstimate, ItemRow, item_frame

    estimate = ReliabilityEstimate(instrument_key="tbsc-2", bond_type="abuser", as_of=date(2026, 10, 1))
    data = R.EstimateData(id=1, instrument="tbsc-2", bond_type="abuser", as_of=date(2026, 10, 1), source=R.CLINIC,
                          clinics=1, n=3, alpha=None, alpha_low=None, alpha_high=None, sd=None)
    row = ItemRow("=cmd", "=HYPERLINK(\"x\")", False, 3, -1.0, None, None, None, None, None)
    frame = item_frame([BondEstimate("tbsc-2", "T", "abuser", "-Abuser", estimate, data, (row,), ())])
    assert (frame.iloc[0]["item"], frame.iloc[0]["wording"], frame.iloc[0]["bond"]) == (
        "'=cmd", "'=HYPERLINK(\"x\")", "'-Abuser")
    assert frame.iloc[0]["mean"] == -1.0  # numbers stay numbers
