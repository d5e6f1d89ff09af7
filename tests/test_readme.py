"""The README's item table is the instrument's, regenerated (manage.py item_table), never hand-kept."""

import re
from pathlib import Path

from screening.instrument import load_instrument
from screening.item_table import item_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_item_table_is_current():
    text = README.read_text(encoding="utf-8")
    table = re.search(r"<!-- items:tbsc-2 -->\n(.*?)\n<!-- /items -->", text, re.S).group(1)
    assert table == item_table(load_instrument("tbsc-2"))


def test_every_item_names_its_seed_passage():
    instrument = load_instrument("tbsc-2")
    for item in (*instrument.bond_items, *instrument.safety_items, *instrument.protective_items):
        assert item.source.strip(), item.key
