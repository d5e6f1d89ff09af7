"""The intake-report PDF, read back with pypdf. No database, no Django settings: the report is built
by hand from the plain dataclasses."""

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader

from reports.data import NO_FLAGS, AnswerRow, AppendixSection, BondSection, Flag, IntakeReport
from reports.pdf import IntakeReportPDF, esc
from screening.scoring import BondScore, Present, ProtectiveScore, StageScore

DISCLAIMER = "Structured checklist \u2014 supports, does not replace, clinical judgement; not a diagnosis."
STAGE_TITLES = (
    "Love bombing and instant connection", "Trust and dependency building", "Criticism and devaluation",
    "Gaslighting and reality distortion", "Resignation and submission", "Loss of self",
    "Addiction and entrenchment",
)
HOSTILE_NOTES = "<b>bold</b> & <script>alert(1)</script>"


def make_stages(scores):
    return tuple(
        StageScore(number=n, title=title, score=score, maximum=0 if score is None else 9,
                   answered=0 if score is None else 3, declined=0, present=bool(score and score >= 3))
        for n, (title, score) in enumerate(zip(STAGE_TITLES, scores), start=1)
    )


def make_bond_score(bond_type, title, raw, maximum, answered, items, declined=0, scored=True):
    return BondScore(
        bond_type=bond_type, title=title, items=items, answered=answered, declined=declined,
        unanswered=items - answered - declined, raw=raw if scored else None,
        maximum=maximum if scored else None,
        percent=round(100 * raw / maximum, 1) if scored else None, scored=scored,
        not_scored_reason="" if scored else (
            f"Not scored: {answered} of {items} items answered; at least 80% are needed for a total."),
        stages=make_stages([4, 6, None, 2, 7, 1, 5]),
        signs_present=(Present("intensity", "Emotional intensity over stability"),
                       Present("isolation", "Isolation from support systems")),
        signs_applicable=7,
        indicators_present=(Present("fear", "Fear of this person"),),
        indicators_applicable=3,
    )


def make_report(*, flags=True, v2v_screened=True, declined=(), notes=HOSTILE_NOTES, appendix_rows=4,
                client_code="C-4821", **overrides):
    abuser = BondSection(
        bond_type="abuser", heading="Abuser-bond indicators", title="Abuser bond", screened=True,
        label="former partner (Andr\u00e9)",
        score=make_bond_score("abuser", "Abuser bond", raw=41, maximum=63, answered=21, items=23, declined=2),
    )
    if v2v_screened:
        v2v = BondSection(
            bond_type="v2v", heading="Victim-to-victim indicators", title="Victim-to-victim bond",
            screened=True, label="",
            score=make_bond_score("v2v", "Victim-to-victim bond", raw=17, maximum=75, answered=25, items=26),
        )
    else:
        v2v = BondSection(bond_type="v2v", heading="Victim-to-victim indicators",
                          title="Victim-to-victim bond", screened=False, label="", score=None)
    bond_rows = tuple(
        AnswerRow(f"How often has this person question number {i} happened? " + "Long wording. " * 8,
                  "Sometimes", f"Stage {i % 7 + 1}; Sign: Fear-based attachment")
        for i in range(appendix_rows)
    )
    report = IntakeReport(
        clinic_name="Clinique Sainte-\u00c9lise & Partners <Main St>",
        client_code=client_code,
        date="2025-03-14",
        clinician="Dr. Ren\u00e9e O'Hara",
        instrument_key="tbsc-1",
        instrument_title="Trauma Bonding Structured Checklist",
        kind="Intake",
        period="the past 30 days",
        disclaimer=DISCLAIMER,
        flags=(
            Flag("Suicidal thoughts or self-harm",
                 "Immediate professional help is needed: contact the 988 Suicide & Crisis Lifeline."),
            Flag("Physical violence", "Any physical violence needs immediate safety planning."),
        ) if flags else (),
        safety_declined=tuple(declined),
        crisis_resources=("988 Suicide & Crisis Lifeline: call or text 988",
                          "National Domestic Violence Hotline: 1-800-799-7233"),
        bonds=(abuser, v2v),
        protective=ProtectiveScore(items=8, answered=7, declined=1, present=(
            Present("trusted", "Trusted people for perspective"),
            Present("sleep", "Regular sleep schedule"),
        )),
        notes=notes,
        appendix=(
            AppendixSection("Abuser-bond indicators: item answers", bond_rows),
            AppendixSection("Safety: item answers", (
                AnswerRow("Have you had thoughts of suicide or self-harm?", "Yes"),
                AnswerRow("Has there been physical violence?", "Declined / not asked"),
            )),
        ),
    )
    return replace(report, **overrides) if overrides else report


def render(report):
    return IntakeReportPDF(report).render()


def norm(text):
    return re.sub(r"\s+", " ", text).strip()


def pages_text(pdf):
    return [norm(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def full_text(pdf):
    return " ".join(pages_text(pdf))


@pytest.fixture(scope="module")
def default_pdf():
    return render(make_report())


@pytest.fixture(scope="module")
def default_text(default_pdf):
    return full_text(default_pdf)


def test_is_pdf(default_pdf):
    assert default_pdf.startswith(b"%PDF")


@pytest.mark.parametrize("heading", [
    "Trauma bonding screening \u2014 Intake",
    "Safety: Safety flags raised in this screening: 2 act this session.",
    "Act this session",
    "Abuser-bond indicators",
    "Victim-to-victim indicators",
    "Protective factors",
    "Clinician notes",
    "Appendix: item-level answers",
    "Abuser-bond indicators: item answers",
    "Safety: item answers",
])
def test_headings_present(default_text, heading):
    assert heading in default_text


def test_header_block(default_text):
    for text in ("Clinic", "Clinique Sainte-\u00c9lise & Partners <Main St>", "Client code C-4821",
                 "Date 2025-03-14", "Clinician Dr. Ren\u00e9e O'Hara",
                 "Instrument Trauma Bonding Structured Checklist (tbsc-1)", "Kind Intake",
                 "Period asked about the past 30 days"):
        assert text in default_text


def test_kind_in_title():
    text = full_text(render(make_report(kind="Re-screen")))
    assert "Trauma bonding screening \u2014 Re-screen" in text


def test_section_order(default_text):
    urgent = default_text.index("Safety: Safety flags raised")
    abuser = default_text.index("Abuser-bond indicators")
    v2v = default_text.index("Victim-to-victim indicators")
    protective = default_text.index("Protective factors")
    notes = default_text.index("Clinician notes")
    appendix = default_text.index("Appendix: item-level answers")
    assert urgent < abuser < v2v < protective < notes < appendix


def test_urgent_box_contents(default_text):
    box = default_text[default_text.index("Safety:"):default_text.index("Abuser-bond indicators")]
    assert "Suicidal thoughts or self-harm" in box
    assert "Immediate professional help is needed: contact the 988 Suicide & Crisis Lifeline." in box
    assert "Physical violence" in box
    assert "Crisis resources (shown to the clinician):" in box
    assert "988 Suicide & Crisis Lifeline: call or text 988" in box
    assert "National Domestic Violence Hotline: 1-800-799-7233" in box
    assert "No safety flags were raised." not in default_text


def test_scores_stand_in_their_own_section(default_text):
    abuser = default_text.index("Abuser-bond indicators")
    v2v = default_text.index("Victim-to-victim indicators")
    abuser_total = default_text.index("Total: 41 of 63 (65.1% of the maximum for answered items)")
    v2v_total = default_text.index("Total: 17 of 75 (22.7% of the maximum for answered items)")
    assert abuser < abuser_total < v2v < v2v_total
    without = "without an answer (declined, not asked or does not apply)"
    assert abuser < default_text.index(f"Items answered: 21 of 23; {without}: 2") < v2v
    assert v2v < default_text.index(f"Items answered: 25 of 26; {without}: 0")


def test_bond_section_details(default_text):
    abuser_part = default_text[default_text.index("Abuser-bond indicators"):
                               default_text.index("Victim-to-victim indicators")]
    assert "Bond: Abuser bond \u2014 label: former partner (Andr\u00e9)" in abuser_part
    assert "Stage Score Endorsed" in abuser_part
    assert "1. Love bombing and instant connection 4 of 9 endorsed" in abuser_part
    assert "2. Trust and dependency building 6 of 9 endorsed" in abuser_part
    assert "4. Gaslighting and reality distortion 2 of 9 not endorsed" in abuser_part
    # No answer to any of its questions: not known, never "not endorsed".
    assert "3. Criticism and devaluation \u2014 not known" in abuser_part
    assert "Warning signs endorsed: 2 of 7" in abuser_part
    assert "Emotional intensity over stability" in abuser_part
    assert "Bond-specific indicators endorsed: 1 of 3" in abuser_part
    assert "Fear of this person" in abuser_part
    v2v_part = default_text[default_text.index("Victim-to-victim indicators"):]
    assert "Bond: Victim-to-victim bond" in v2v_part
    assert "label:" not in v2v_part.split("Total:")[0]


def test_protective_factors(default_text):
    part = default_text[default_text.index("Protective factors"):default_text.index("Clinician notes")]
    assert "2 of 8 endorsed (answered 7, without an answer 1)" in part
    assert "Trusted people for perspective" in part
    assert "Regular sleep schedule" in part


def test_not_screened_bond_says_so_in_its_own_section():
    text = full_text(render(make_report(v2v_screened=False)))
    abuser = text.index("Abuser-bond indicators")
    v2v = text.index("Victim-to-victim indicators")
    not_screened = text.index("This bond was not screened in this administration.")
    assert abuser < v2v < not_screened < text.index("Protective factors")
    assert text.count("This bond was not screened in this administration.") == 1
    v2v_part = text[v2v:text.index("Protective factors")]
    assert "Total:" not in v2v_part
    assert "Warning signs present" not in v2v_part
    assert "Total: 41 of 63" in text[abuser:v2v]


def test_not_scored_bond_shows_reason():
    report = make_report()
    abuser = report.bonds[0]
    unscored = replace(abuser, score=make_bond_score("abuser", "Abuser bond", raw=0, maximum=0,
                                                     answered=5, items=23, scored=False))
    text = full_text(render(replace(report, bonds=(unscored, report.bonds[1]))))
    part = text[text.index("Abuser-bond indicators"):text.index("Victim-to-victim indicators")]
    assert "Not scored: 5 of 23 items answered; at least 80% are needed for a total." in part
    assert "Total:" not in part


def test_page_numbers_and_footer_on_every_page(default_pdf):
    pages = pages_text(default_pdf)
    n = len(pages)
    assert n >= 2  # the appendix starts on a new page
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {n}" in text
        assert "Client C-4821" in text
        assert DISCLAIMER in text


def test_long_appendix_spans_pages_with_repeated_header():
    pdf = render(make_report(appendix_rows=60))
    pages = pages_text(pdf)
    n = len(pages)
    assert n >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {n}" in text
        assert DISCLAIMER in text
    appendix_pages = [t for t in pages if "question number" in t]
    assert len(appendix_pages) >= 2
    for text in appendix_pages:
        assert "Question Answer" in text  # header row repeated on each page of the table
    all_text = " ".join(pages)
    for i in range(60):
        assert f"question number {i} happened?" in all_text
    assert "Stage 1; Sign: Fear-based attachment" in all_text


def test_appendix_starts_on_new_page(default_pdf):
    pages = pages_text(default_pdf)
    first = next(i for i, t in enumerate(pages) if "Appendix: item-level answers" in t)
    assert first > 0
    assert "Clinician notes" not in pages[first]


def test_notes_markup_prints_literally(default_text):
    assert HOSTILE_NOTES in default_text


@pytest.mark.parametrize("notes", [
    "<para>", "</para>", "<b>unclosed", "a & b &amp; c &nbsp; &#0;", "<font color='red'>x</font>",
    "line one\nline <i>two</i>\r\nline three", "\x00\x07 control", "]]><![CDATA[",
])
def test_any_notes_render_literally(notes):
    text = full_text(render(make_report(notes=notes)))
    expected = norm(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", notes))
    assert expected in text


def test_notes_keep_line_breaks():
    pdf = render(make_report(notes="first line\nsecond line\n\nfourth line"))
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert re.search(r"first line\s*\n\s*second line", raw)
    assert "first line second line" not in raw


def test_empty_notes():
    text = full_text(render(make_report(notes="")))
    assert text[text.index("Clinician notes"):].startswith("Clinician notes None recorded.")


def test_markup_in_every_data_field_is_escaped():
    evil = "<b>x</b> & <para>"
    report = make_report(flags=True, client_code="<C&1>", clinician=evil, clinic_name=evil, period=evil)
    report = replace(
        report,
        flags=(Flag(evil, evil),),
        crisis_resources=(evil,),
        safety_declined=(evil,),
        bonds=tuple(replace(b, label=evil, title=evil) for b in report.bonds),
        appendix=(AppendixSection(evil, (AnswerRow(evil, evil, evil),)),),
    )
    pages = pages_text(render(report))
    text = " ".join(pages)
    assert text.count(evil) >= 10
    for page in pages:
        assert "Client <C&1>" in page


def test_no_flags():
    text = full_text(render(make_report(flags=False, all_safety_no=True)))
    assert NO_FLAGS in text
    assert "Act this session" not in text
    assert "Crisis resources" not in text
    assert text.index(NO_FLAGS) < text.index("Abuser-bond indicators")


def test_no_flags_needs_every_safety_answer_to_be_no():
    # No flag, but not every safety question answered "No" (say, one unanswered): no reassurance.
    text = full_text(render(make_report(flags=False, all_safety_no=False)))
    assert "No safety flags" not in text and "Crisis resources" in text


def test_declined_safety_without_flags_is_never_reassuring():
    text = full_text(render(make_report(flags=False, declined=("Physical violence: Client declined", "Suicidal thoughts: Not asked"),
                                        all_safety_no=False)))
    assert "No safety flags" not in text
    box = text[text.index("Safety: Safety not fully assessed: 2 questions"):text.index("Abuser-bond indicators")]
    assert "Physical violence: Client declined" in box and "Suicidal thoughts: Not asked" in box


def test_declined_safety_with_flags_is_in_the_safety_box():
    text = full_text(render(make_report(flags=True, declined=("Physical violence: Client declined",))))
    box = text[text.index("Safety:"):text.index("Abuser-bond indicators")]
    assert "Safety not fully assessed" in box and "Physical violence: Client declined" in box


def test_crisis_resources_given_to_the_client():
    text = full_text(render(make_report(resources_given=True)))
    assert "Crisis resources (given to the client):" in text and "shown to the clinician" not in text


def test_carried_over_flags_come_before_the_bonds():
    carried = (Flag("Unsafe to leave or reduce contact", "", status="Open: no follow-up recorded", tier="act_now",
                    raised="2025-01-02", age_days=71, origin="intake screening of 2025-01-02"),)
    text = full_text(render(make_report(flags=False, all_safety_no=True, carried=carried, as_of="2025-03-14 10:00")))
    assert "No safety flags" not in text
    box = text[text.index("Safety: Still open from earlier: 1 flag."):text.index("Abuser-bond indicators")]
    assert "Still open from earlier (as of 2025-03-14 10:00)" in box
    assert "Act this session: Unsafe to leave or reduce contact" in box and "71 days ago" in box
    assert "no follow-up recorded" in box


def test_metadata(default_pdf):
    meta = PdfReader(io.BytesIO(default_pdf)).metadata
    assert meta.title == "Screening report C-4821 2025-03-14"
    assert meta.author == "bondscreen"
    for key, value in meta.items():
        if key != "/Title":
            assert "C-4821" not in str(value), key


def test_client_code_only_in_title_metadata(default_pdf):
    # the code is drawn on pages (compressed streams) and in /Title, nowhere else in plain PDF objects
    assert default_pdf.count(b"C-4821") == 1


def test_special_characters_print():
    text = full_text(render(make_report(notes="score \u2265 3 \u2014 caf\u00e9 \u00e9l\u00e8ve")))
    assert "score \u2265 3 \u2014 caf\u00e9 \u00e9l\u00e8ve" in text


def test_esc_helper():
    assert esc("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert esc(None) == ""
    assert esc(7) == "7"
