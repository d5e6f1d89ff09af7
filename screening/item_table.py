"""The instrument's items as a Markdown table, each traced to its seed passage (the README's table is
this output: `manage.py item_table`, checked by tests/test_readme.py)."""

from screening.instrument import PROTECTIVE, SAFETY, TIERS


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def item_table(instrument):
    lines = [
        "| section | key | question | counts towards | scale | seed passage |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for section in instrument.sections():
        for item in section.items:
            if section.is_bond and item.bond_types[0] != section.key:
                continue  # an item asked for both bonds is listed once
            if section.is_bond:
                where = " or ".join(item.bond_types)
                tags = ([f"stage {item.stage}"] if item.stage else []) + (
                    [f"sign: {instrument.sign(item.sign).title}"] if item.sign else []) + [
                    f"indicator: {instrument.indicator(k).title}" for k in item.indicators]
                counts = "; ".join(tags)
            elif section.key == SAFETY:
                where = "safety"
                counts = f"flag: {item.flag} ({TIERS[item.tier].lower()})" + (
                    f"; asked if {' or '.join(item.ask_if_any)} is Yes" if item.ask_if_any else "")
            else:
                where = PROTECTIVE
                counts = item.title if item.counted or "not counted" in item.title else f"{item.title} (context, not counted)"
            scale = " / ".join(o.label for o in section.item_scale(item))
            question = item.text + (" (intake only)" if item.intake_only else "")
            if getattr(item, "text_intake", ""):
                question += f" At intake: “{item.text_intake}”"
            lines.append("| " + " | ".join(_cell(v) for v in (where, item.key, question, counts, scale, item.source)) + " |")
    return "\n".join(lines)
