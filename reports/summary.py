"""The plain-text intake-note summary a clinician pastes into the clinic's record system."""


def _list(items):
    return ", ".join(items) if items else "none endorsed"


def bond_paragraph(section, period):
    name = section.title + (f" ({section.label})" if section.label else "")
    if not section.screened:
        return f"{name}: not screened in this administration."
    s = section.score
    if s.scored:
        total = f"total {s.raw} of {s.maximum} ({s.percent:g}% of the maximum for answered items)"
    else:
        total = s.not_scored_reason[0].lower() + s.not_scored_reason[1:].rstrip(".")
    missing = "; ".join(f"{m.state_label.lower()}: {m.text}" for m in s.missing)
    stages = "; ".join(
        f"{st.number} {st.title.lower()} " + (f"{st.score} of {st.maximum}" if st.score is not None else "not known")
        for st in s.stages
    )
    not_known = [p.title.lower() for p in (*s.signs_not_known, *s.indicators_not_known)]
    contact = f" Contact with this person: {section.contact.lower() if section.contact else 'not recorded'}."
    return (
        f"{name}, over {period}: {total}; "
        f"{s.answered} of {s.items} items answered, {s.declined} without an answer"
        + (f" ({missing})" if missing else "") + ". "
        f"Stage scores: {stages}. "
        f"Warning signs endorsed: {len(s.signs_present)} of {s.signs_applicable} "
        f"({_list([p.title.lower() for p in s.signs_present])}). "
        f"Bond-specific indicators endorsed: {len(s.indicators_present)} of {s.indicators_applicable} "
        f"({_list([p.title.lower() for p in s.indicators_present])})."
        + (f" Not known (no answer to their questions): {', '.join(not_known)}." if not_known else "")
        + contact
    )


def self_report_paragraph(report):
    """What became of the client's own answers; each one the clinician changed, with the client's."""
    changed = "; ".join(f"“{row.text}”: {row.answer} (client answered: {row.client_answer})"
                        for row in report.changed_from_client)
    return "Self-report: " + report.self_report_line + (f" Changed: {changed}." if changed else "")


def intake_note_summary(report):
    when = report.timepoint + (f", day {report.days_since_intake} since intake" if report.days_since_intake else "")
    opening = (f"{report.kind} screening for trauma bonding, {report.date}"
               + (f" ({when})" if when else "") + f", client {report.client_code}")
    if report.administration:  # self-report: the line names the clinician who reviewed and completed it
        paragraphs = [f"{opening}; instrument {report.instrument_key}. {report.administration}."]
    else:
        paragraphs = [f"{opening}, by {report.clinician}; instrument {report.instrument_key}."]
    paragraphs.append("Safety: " + report.safety_headline)
    for tier, flags in report.flags_by_tier:
        listed = "; ".join(flag.title + (f" ({flag.detail})" if flag.detail else "")
                           + (f", {flag.status.lower()} as of {report.as_of}" if flag.status else "") for flag in flags)
        paragraphs.append(f"{tier}: {listed}.")
    if report.safety_declined:
        status = report.not_assessed_flag.status.lower() if report.not_assessed_flag else ""
        paragraphs.append("Safety not fully assessed (unanswered is not “No”): " + "; ".join(report.safety_declined)
                          + (f"; {status} as of {report.as_of}" if status else "") + ".")
    if report.carried:
        listed = "; ".join(
            f"{flag.title} ({flag.tier_label.lower()}), raised {flag.raised} at the {flag.origin}, "
            f"{flag.age_days} day{'s' if flag.age_days != 1 else ''} ago, "
            + (f"last follow-up {flag.last_follow_up}" if flag.last_follow_up else "no follow-up recorded")
            for flag in report.carried
        )
        paragraphs.append(f"Still open from earlier, as of {report.as_of}: {listed}.")
    if report.resources_given:
        paragraphs.append("Crisis resources were given to the client.")
    elif not report.safety_clear:
        paragraphs.append("Crisis resources were shown to the clinician with the results.")
    if report.administration:
        paragraphs.append(self_report_paragraph(report))
    paragraphs += [bond_paragraph(section, report.period) for section in report.bonds]
    p = report.protective
    paragraphs.append(
        f"Protective factors endorsed: {p.count} of {p.items} ({_list([x.title.lower() for x in p.present])})."
    )
    for a in report.amendments:
        paragraphs.append(f"Amended {a.date} by {a.by}: {a.reason}")
    if report.notes.strip():
        paragraphs.append("Clinician notes: " + report.notes.strip())
    paragraphs.append(report.disclaimer)
    return "\n\n".join(paragraphs)
