"""Stored scores carry each bond's answered item values (BondScore.values, issue 15), so a judgement of
reliable change needs no second query. Screenings completed before this fill them in from their answer
rows: those of the current version, so an amended screening gets its corrected answers, which its stored
scores were recomputed from. Nothing else in the stored scores, or in the screening, changes.

Batched (BATCH screenings, one query for their answers, one batch of updates): 20,000 screenings of
seed_scale (710,000 answered bond items) took 16 s on SQLite on a busy two-core machine, against 28 s
with bulk_update and UUID objects; a network's hundred thousand take about a minute and a half, once.
"""

from django.db import migrations
from django.db.models import CharField
from django.db.models.functions import Cast

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
        # The screening id as text (32 hex digits on SQLite, the dashed form on PostgreSQL): turning hundreds
        # of thousands of them back into UUID objects was most of the migration's time.
        pk_of = {text: s.pk for s in wanted for text in (s.pk.hex, str(s.pk))}
        rows = (Answer.objects.filter(screening_id__in=[s.pk for s in wanted], section__in=BONDS, state="answered")
                .annotate(sid=Cast("screening_id", CharField())).values_list("sid", "section", "item_key", "value"))
        for screening_id, section, key, value in rows:
            answered.setdefault((pk_of[screening_id], section), {})[key] = value
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
        _write(schema_editor, Screening, wanted)


def _write(schema_editor, Screening, screenings):
    """One UPDATE of the scores column per screening, sent as one batch (executemany): Django's
    bulk_update would build one CASE over the whole batch's JSON, many times slower."""
    connection = schema_editor.connection if schema_editor is not None else _default_connection()
    field = Screening._meta.get_field("scores")
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(Screening._meta.db_table)} SET {quote(field.column)} = %s WHERE {quote('id')} = %s"
    pk = Screening._meta.pk
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(field.get_db_prep_save(s.scores, connection), pk.get_db_prep_value(s.pk, connection))
                                 for s in screenings])


def _default_connection():
    from django.db import connection

    return connection


class Migration(migrations.Migration):
    dependencies = [("screening", "0013_reliability_estimates")]
    operations = [migrations.RunPython(fill_values, migrations.RunPython.noop)]
