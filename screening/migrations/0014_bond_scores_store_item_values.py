"""Stored scores carry each bond's answered item values (BondScore.values, issue 15), so a judgement of
reliable change needs no second query. Screenings completed before this fill them in from their answer
rows: those of the current version, so an amended screening gets its corrected answers, which its stored
scores were recomputed from. Nothing else in the stored scores, or in the screening, changes.

Batched (BATCH screenings, one query for their answers, one bulk update), so a network's hundred
thousand screenings take seconds, not an hour.
"""

from django.db import migrations

BATCH = 2000
BONDS = ("abuser", "v2v")


def _order(instrument_key, bond, intake):
    """The bond's item keys in the instrument's order at this administration; None for an instrument
    this installation cannot load (then the keys are sorted)."""
    from screening.instrument import load_instrument

    try:
        instrument = load_instrument(instrument_key)
    except (LookupError, ValueError):
        return None
    return [item.key for item in instrument.items_for_bond(bond, intake)]


def fill_values(apps, schema_editor):
    Screening = apps.get_model("screening", "Screening")
    Answer = apps.get_model("screening", "Answer")
    orders = {}
    last = None
    while True:
        page = Screening.objects.filter(status="complete").order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page.only("pk", "instrument_key", "kind", "scores")[:BATCH])
        if not batch:
            return
        last = batch[-1].pk
        wanted = [s for s in batch if s.scores and any("values" not in b for b in s.scores.get("bonds", ()))]
        if not wanted:
            continue
        answered = {}
        rows = Answer.objects.filter(screening_id__in=[s.pk for s in wanted], section__in=BONDS, state="answered")
        for screening_id, section, key, value in rows.values_list("screening_id", "section", "item_key", "value"):
            answered.setdefault((screening_id, section), {})[key] = value
        for screening in wanted:
            for bond in screening.scores["bonds"]:
                if "values" in bond:
                    continue
                given = answered.get((screening.pk, bond["bond_type"]), {})
                cache_key = (screening.instrument_key, bond["bond_type"], screening.kind == "intake")
                if cache_key not in orders:
                    orders[cache_key] = _order(*cache_key)
                order = orders[cache_key] or sorted(given)
                bond["values"] = [[key, given[key]] for key in order if key in given]
        Screening.objects.bulk_update(wanted, ["scores"])


class Migration(migrations.Migration):
    dependencies = [("screening", "0013_reliability_estimates")]
    operations = [migrations.RunPython(fill_values, migrations.RunPython.noop)]
