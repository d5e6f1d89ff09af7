import copy
import hashlib
import json

import pytest

from screening.instrument import BOND_TYPES, available_keys, instrument_path, load_instrument, parse_instrument

# A published instrument never changes: new wording or items are a new key (tbsc-2).
PUBLISHED = {
    "tbsc-1": "23234fc756aebbbd3ac8ec5c8bf929839b4e2e0f39de8347dcf8bea1cfde2f62",
    "tbsc-2": "b3c7fb3678d173f05595e46feb584f99e90e6528305509ff3ed49e500fa42ce1",
}


@pytest.mark.parametrize("key", sorted(PUBLISHED))
def test_published_instrument_is_unchanged(key):
    assert hashlib.sha256(instrument_path(key).read_bytes()).hexdigest() == PUBLISHED[key]


def test_every_instrument_file_is_pinned():
    assert set(available_keys()) == set(PUBLISHED)


def test_structure_from_the_seed(instrument):
    assert instrument.key == "tbsc-1"
    assert [s.number for s in instrument.stages] == [1, 2, 3, 4, 5, 6, 7]
    assert len(instrument.signs) == 10
    assert sorted(i.sign for i in instrument.bond_items if i.sign) == sorted(s.key for s in instrument.signs)
    assert len([i for i in instrument.indicators if i.bond_type == "abuser"]) == 3
    assert len([i for i in instrument.indicators if i.bond_type == "v2v"]) == 6
    assert [i.flag for i in instrument.safety_items] == [
        "Suicidal thoughts or self-harm", "Physical violence", "Alcohol or drug use to cope",
        "Symptoms disrupting daily life", "Unsafe to leave or reduce contact",
    ]
    assert instrument.protective_items
    for bond in BOND_TYPES:
        stages = {i.stage for i in instrument.items_for_bond(bond)}
        assert {1, 2, 3, 4, 5, 6, 7} <= stages, bond
    assert all(item.source for item in instrument.bond_items + instrument.safety_items + instrument.protective_items)


def test_safety_guidance_names_the_seed_resources(instrument):
    text = " ".join(i.guidance for i in instrument.safety_items)
    assert "988" in text and "1-800-799-7233" in text


def test_no_diagnostic_language(instrument):
    words = " ".join(i.text for i in instrument.bond_items + instrument.safety_items + instrument.protective_items).lower()
    for banned in ("diagnos", "disorder", "severity", "you are trauma bonded"):
        assert banned not in words
    assert "not a diagnosis" in instrument.disclaimer


def _raw():
    return json.loads(instrument_path("tbsc-1").read_text(encoding="utf-8"))


def test_broken_cross_reference_is_refused():
    data = _raw()
    data["bond_items"][0]["sign"] = "no-such-sign"
    with pytest.raises(ValueError, match="unknown sign"):
        parse_instrument(data)


def test_stage_without_item_is_refused():
    data = _raw()
    data["bond_items"] = [i for i in data["bond_items"] if i["stage"] != 7]
    with pytest.raises(ValueError, match="stages \\[7\\] have no item"):
        parse_instrument(data)


def test_duplicate_key_is_refused():
    data = _raw()
    data["bond_items"].append(copy.deepcopy(data["bond_items"][0]))
    with pytest.raises(ValueError, match="not unique"):
        parse_instrument(data)


def test_unknown_instrument():
    with pytest.raises(LookupError):
        load_instrument("tbsc-99")


def test_sections_in_the_order_asked(instrument):
    assert [s.key for s in instrument.sections(["v2v", "abuser"])] == ["abuser", "v2v", "safety", "protective"]
    assert [s.key for s in instrument.sections(["v2v"])] == ["v2v", "safety", "protective"]
    abuser = instrument.section("abuser")
    assert abuser.title == instrument.bond_type("abuser").title and abuser.scale == instrument.frequency
    assert abuser.items == instrument.items_for_bond("abuser") and abuser.is_bond
    safety = instrument.section("safety")
    assert (safety.title, safety.scale, safety.items, safety.is_bond) == ("Safety", instrument.yes_no, instrument.safety_items, False)


def test_review_progress_counts_each_section(instrument):
    from screening.steps import section_progress

    first = instrument.items_for_bond("abuser")[0].key
    answers = {("abuser", first): 2, ("safety", instrument.safety_items[0].key): "declined"}
    progress = {p.step.slug: (p.done, p.total) for p in section_progress(instrument, ["abuser"], answers)}
    assert progress == {
        "abuser": (1, len(instrument.items_for_bond("abuser"))),
        "safety": (1, len(instrument.safety_items)),
        "protective": (0, len(instrument.protective_items)),
    }
