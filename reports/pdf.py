"""The intake report as a PDF (ReportLab platypus), in the style of pretix's invoice renderer.

The renderer only draws the plain data of `reports.data.IntakeReport`: it queries nothing and
computes no scores. Every string that came from a user or from data goes through `esc()` before it
becomes a Paragraph, so markup in a note or a clinic name prints literally.

    pdf_bytes = IntakeReportPDF(report).render()
"""

import re
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Frame, KeepTogether, PageBreak, PageTemplate, Paragraph, Spacer, Table,
    TableStyle,
)

from reports.fonts import FONT, FONT_BOLD, register_fonts


PAGE_SIZE = LETTER  # the default resources (988, US hotlines) are US
MARGIN_X = 20 * mm
MARGIN_TOP = 18 * mm
MARGIN_BOTTOM = 24 * mm  # room for the two footer lines
FOOTER_Y = 10 * mm
FOOTER_FONT_SIZE = 8

TEXT = colors.HexColor("#1d1d1f")
MUTED = colors.HexColor("#5f6368")
GRID = colors.HexColor("#b8bcc2")
HEAD_BG = colors.HexColor("#eef0f3")
ZEBRA = colors.HexColor("#f7f8fa")
URGENT_BORDER = colors.HexColor("#8b0000")
URGENT_BG = colors.HexColor("#fdecea")
URGENT_TEXT = colors.HexColor("#7a0000")
GREEN_BORDER = colors.HexColor("#1e6b3a")
GREEN_BG = colors.HexColor("#e9f5ee")
BOND_COLOURS = {  # (band edge, band tint), by bond type; anything else gets the neutral pair
    "abuser": (colors.HexColor("#1f4e79"), colors.HexColor("#e8eef6")),
    "v2v": (colors.HexColor("#6a2c70"), colors.HexColor("#f3eaf4")),
}
NEUTRAL_BAND = (colors.HexColor("#4a5560"), colors.HexColor("#eef0f3"))

NOT_SCREENED = "This bond was not screened in this administration."
DASH = "\u2014"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def esc(value):
    """Text from data or a user, made safe for a Paragraph: XML-escaped, control characters dropped."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return escape(_CONTROL_CHARS.sub("", text))


def esc_multiline(value):
    """Like esc(), keeping the line breaks of a multi-line text."""
    return "<br/>".join(esc(value).split("\n"))


def fmt_percent(value):
    """66.7 -> '66.7', 50.0 -> '50'."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class NumberedCanvas(Canvas):
    """Keeps every page's state until save(), then writes 'Page x of y' on each page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_page_states = []

    def showPage(self):
        self._saved_page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        num_pages = len(self._saved_page_states)
        for state in self._saved_page_states:
            self.__dict__.update(state)
            self.draw_page_number(num_pages)
            Canvas.showPage(self)
        Canvas.save(self)

    def draw_page_number(self, page_count):
        self.saveState()
        self.setFont(FONT, FOOTER_FONT_SIZE)
        self.setFillColor(MUTED)
        self.drawRightString(self._pagesize[0] - MARGIN_X, FOOTER_Y, f"Page {self._pageNumber} of {page_count}")
        self.restoreState()


class ReportPDF:
    """The page furniture shared by our reports: fonts, styles, footer, "page x of y", boxes.

    A subclass gives _story() (the flowables) and document_title(); render() returns PDF bytes.
    """

    pagesize = PAGE_SIZE
    canvas_class = NumberedCanvas
    subject = "Trauma bonding screening report"

    def __init__(self, report):
        self.report = report
        register_fonts()
        self.width = self.pagesize[0] - 2 * MARGIN_X
        self.styles = self._make_styles()

    def render(self):
        buffer = BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=self.document_title(),
            author="bondscreen",
            subject=self.subject,
            creator="bondscreen",
            keywords=[],
            lang="en",
        )
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height,
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="normal")
        doc.addPageTemplates([
            PageTemplate(id="report", frames=[frame], onPage=self._on_page, pagesize=self.pagesize),
        ])
        doc.build(self._story(), canvasmaker=self.canvas_class)
        return buffer.getvalue()

    def _on_page(self, canvas, doc):
        """Footer on every page: disclaimer, client code (the page number comes from the canvas)."""
        canvas.saveState()
        width = self.pagesize[0] - 2 * MARGIN_X
        step = FOOTER_FONT_SIZE + 3
        # a disclaimer too long for one line wraps onto (at most) two lines above the client line
        lines = simpleSplit(self.report.disclaimer or "", FONT, FOOTER_FONT_SIZE, width)
        if len(lines) > 2:
            lines = [lines[0], lines[1][:-2].rstrip() + " \u2026"]
        canvas.setFillColor(MUTED)
        canvas.setFont(FONT, FOOTER_FONT_SIZE)
        for i, line in enumerate(lines):
            canvas.drawString(MARGIN_X, FOOTER_Y + (len(lines) - i) * step, line)
        canvas.drawString(MARGIN_X, FOOTER_Y, f"Client {self.report.client_code}")
        rule = FOOTER_Y + (len(lines) + 1) * step - 2
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, rule, MARGIN_X + width, rule)
        canvas.restoreState()

    def _make_styles(self):
        base = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, textColor=TEXT,
                              alignment=TA_LEFT, spaceAfter=4)
        return {
            "body": base,
            "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20,
                                 spaceAfter=8),
            "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17,
                                 spaceBefore=14, spaceAfter=6, keepWithNext=1),
            "h2_split": ParagraphStyle("h2_split", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17,
                                       spaceBefore=14, spaceAfter=6),
            "band": ParagraphStyle("band", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17,
                                   spaceAfter=0),
            "h3": ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=14.5,
                                 spaceBefore=8, spaceAfter=3, keepWithNext=1),
            "bullet": ParagraphStyle("bullet", parent=base, leftIndent=16, bulletIndent=5, spaceAfter=1,
                                     bulletFontName=FONT),
            "muted": ParagraphStyle("muted", parent=base, textColor=MUTED),
            "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12.5, spaceAfter=0),
            "cell_head": ParagraphStyle("cell_head", parent=base, fontName=FONT_BOLD, fontSize=9.5,
                                        leading=12.5, spaceAfter=0),
            "label": ParagraphStyle("label", parent=base, fontName=FONT_BOLD, fontSize=9.5, leading=13,
                                    textColor=MUTED, spaceAfter=0),
            "value": ParagraphStyle("value", parent=base, fontSize=10, leading=13, spaceAfter=0),
            "urgent_head": ParagraphStyle("urgent_head", parent=base, fontName=FONT_BOLD, fontSize=13,
                                          leading=17, textColor=URGENT_TEXT, spaceAfter=0),
            "box": ParagraphStyle("box", parent=base, spaceAfter=0),
            "box_bullet": ParagraphStyle("box_bullet", parent=base, leftIndent=16, bulletIndent=5, bulletFontName=FONT,
                                         spaceAfter=0),
            "tier_head": ParagraphStyle("tier_head", parent=base, fontName=FONT_BOLD, spaceBefore=4, spaceAfter=0,
                                        textColor=URGENT_TEXT),
        }

    def p(self, markup, style="body", **kwargs):
        """A Paragraph from markup that is already escaped (use esc() on any data inside it)."""
        return Paragraph(markup, self.styles[style], **kwargs)

    def bullets(self, items, style="bullet"):
        return [self.p(esc(item), style, bulletText="\u2022") for item in items]

    def _header_block(self, title, rows):
        """The report's title and a label/value table (clinic, client code, dates, …)."""
        data = [[self.p(esc(label), "label"), self.p(esc(value) or DASH, "value")] for label, value in rows]
        table = Table(data, colWidths=[38 * mm, self.width - 38 * mm], hAlign="LEFT")
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -2), 0.4, GRID),
            ("LINEABOVE", (0, 0), (-1, 0), 1, MUTED),
            ("LINEBELOW", (0, -1), (-1, -1), 1, MUTED),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ]))
        return [self.p(esc(title), "h1"), table, Spacer(1, 10)]

    def _box(self, rows, border, background, thickness):
        # splitInRow: a row taller than a page (a long follow-up note) splits inside itself.
        table = Table(rows, colWidths=[self.width], splitInRow=1)
        table.setStyle(TableStyle([
            ("BOX", (0, 0), (-1, -1), thickness, border),
            ("BACKGROUND", (0, 0), (-1, -1), background),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("RIGHTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, 0), 8),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 6),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        return table

    def _band(self, heading, bond_type):
        edge, tint = BOND_COLOURS.get(bond_type, NEUTRAL_BAND)
        table = Table([[self.p(esc(heading), "band")]], colWidths=[self.width])
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), tint),
            ("LINEBEFORE", (0, 0), (0, -1), 6, edge),
            ("LINEABOVE", (0, 0), (-1, 0), 1.5, edge),
            ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ("TOPPADDING", (0, 0), (-1, -1), 6),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ]))
        return table

    def _grid_style(self):
        return TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, GRID),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ("RIGHTPADDING", (0, 0), (-1, -1), 5),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ])


class IntakeReportPDF(ReportPDF):
    """Renders one `IntakeReport` to PDF bytes."""

    def document_title(self):
        return f"Screening report {self.report.client_code} {self.report.date}"

    def _story(self):
        """Page 1: header, safety (current and carried over), each bond at a glance and the change
        since the last screening. Then the details."""
        story = []
        story += self._header()
        story += self._safety()
        story += self._summary()
        story.append(PageBreak())
        story.append(self.p("Details", "h1"))
        for section in self.report.bonds:
            story += self._bond(section)
        story += self._protective()
        story += self._notes()
        story += self._appendix()
        return story

    def _header(self):
        r = self.report
        rows = [
            ("Clinic", r.clinic_name),
            ("Client code", r.client_code),
            ("Date", r.date),
            ("Clinician", r.clinician),
            *([("How given", r.administration), ("Client's answers", r.self_report_line)] if r.administration else []),
            ("Instrument", f"{r.instrument_title} ({r.instrument_key})"),
            ("Kind", r.kind),
            ("Timepoint", r.timepoint + (f", day {r.days_since_intake} since intake" if r.days_since_intake else "")),
            ("Period asked about", r.period),
        ]
        rows += [("Amended", f"{a.date} by {a.by}: {a.reason}") for a in r.amendments]
        return self._header_block(f"Trauma bonding screening {DASH} {r.kind}", rows)

    def _safety(self):
        """Safety first. "No safety flags" only when report.safety_clear: every safety question asked
        was answered "No" and nothing is open from before; otherwise what is open or not assessed."""
        r = self.report
        if r.safety_clear:
            return [self._box([[self.p(esc(r.safety_headline), "box")]], GREEN_BORDER, GREEN_BG, 1), Spacer(1, 6)]
        rows = [[self.p(esc(f"Safety: {r.safety_headline}"), "urgent_head")]]
        for tier, flags in r.flags_by_tier:
            rows.append([self.p(f"<b>{esc(tier)}</b>", "tier_head")])
            for flag in flags:
                rows += self._flag_rows(flag, r.as_of)
        if r.safety_declined:
            rows.append([self.p("<b>Safety not fully assessed</b> (unanswered is not \u201cNo\u201d)", "tier_head")])
            rows += [[cell] for cell in self.bullets(r.safety_declined, "box_bullet")]
            if r.not_assessed_flag and r.not_assessed_flag.status:
                rows.append([self.p(f"<i>Follow-up, as of {esc(r.as_of)}: {esc(r.not_assessed_flag.status)}</i>", "box")])
        if r.carried:
            rows.append([self.p(f"<b>Still open from earlier</b> (as of {esc(r.as_of)})", "tier_head")])
            for flag in r.carried:
                follow = f"last follow-up {flag.last_follow_up}" if flag.last_follow_up else "no follow-up recorded"
                rows.append([self.p(
                    f"<b>{esc(flag.tier_label)}: {esc(flag.title)}</b>" + (f" ({esc(flag.detail)})" if flag.detail else "")
                    + f" {DASH} raised {esc(flag.raised)} at the {esc(flag.origin)}, {flag.age_days} day"
                    + ("s" if flag.age_days != 1 else "") + f" ago; {esc(follow)}.", "box")])
        given = "given to the client" if r.resources_given else "shown to the clinician"
        rows.append([self.p(f"<b>Crisis resources</b> ({given}):", "box")])
        resources = r.crisis_resources or ("None on file for this clinic.",)
        rows += [[cell] for cell in self.bullets(resources, "box_bullet")]
        return [self._box(rows, URGENT_BORDER, URGENT_BG, 3), Spacer(1, 6)]

    def _summary(self):
        r = self.report
        story = [self.p("Summary", "h2")]
        head = ["Bond", "Contact", "Total", "Stage scores"]
        data = [[self.p(h, "cell_head") for h in head]]
        for section in r.bonds:
            name = esc(section.title) + (f" ({esc(section.label)})" if section.label else "")
            if not section.screened or section.score is None:
                data.append([self.p(name, "cell"), self.p(DASH, "cell"), self.p("not screened", "cell"), self.p(DASH, "cell")])
                continue
            s = section.score
            total = (f"{s.raw} of {s.maximum} ({fmt_percent(s.percent)}%)" if s.scored else esc(s.not_scored_reason))
            if s.missing:
                total += f"; {len(s.missing)} without an answer"
            stages = "; ".join(
                f"{st.number}: " + (f"{st.score} of {st.maximum}" if st.score is not None else "not known")
                for st in s.stages
            )
            data.append([self.p(name, "cell"), self.p(esc(section.contact or "not recorded"), "cell"),
                         self.p(total, "cell"), self.p(stages, "cell")])
        widths = [34, 22, 34, 60]
        scale = self.width / sum(widths)
        table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1, hAlign="LEFT")
        table.setStyle(self._grid_style())
        story.append(table)
        if r.change_since:
            story.append(self.p(f"Change since the last screening ({esc(r.change_since)})", "h3"))
            story += self.bullets(r.change_lines)
        else:
            story.append(self.p("First screening of this checklist version for this client: no change to report.", "muted"))
        return [KeepTogether(story[:2])] + story[2:]

    def _flag_rows(self, flag, as_of):
        title = esc(flag.title) + (" (recurring: also raised at the previous screening)" if flag.recurring else "")
        detail = f" {esc(flag.detail)}." if flag.detail else ""
        rows = [[self.p(f"<b>{title}</b>{detail}<br/>{esc(flag.guidance)}", "box")]]
        if flag.status:
            rows.append([self.p(f"<i>Follow-up, as of {esc(as_of)}: {esc(flag.status)}</i>", "box")])
        for f in flag.follow_ups:
            done = " (resolved the flag)" if f.resolves else ""
            rows.append([self.p(f"{esc(f.date)}, {esc(f.by)}: {esc(f.action)}{done}. {esc(f.note)}", "box_bullet",
                                bulletText="\u2022")])
        return rows

    def _bond(self, section):
        intro = [Spacer(1, 14), self._band(section.heading, section.bond_type), Spacer(1, 6)]
        bond_line = f"<b>Bond:</b> {esc(section.title)}"
        if section.label:
            bond_line += f" {DASH} label: {esc(section.label)}"
        if section.screened:
            bond_line += f" {DASH} contact: {esc(section.contact or 'not recorded')}"
        intro.append(self.p(bond_line))

        if not section.screened:
            return [KeepTogether(intro + [self.p(NOT_SCREENED, "muted")])]
        score = section.score
        if score is None:
            return [KeepTogether(intro + [self.p("No stored score for this bond.", "muted")])]

        if score.scored:
            total = (f"<b>Total: {score.raw} of {score.maximum}</b> "
                     f"({fmt_percent(score.percent)}% of the maximum for answered items)")
        else:
            total = f"<b>{esc(score.not_scored_reason) or 'Not scored.'}</b>"
        answered = (f"Items answered: {score.answered} of {score.items}; "
                    f"without an answer (declined, not asked or does not apply): {score.declined}")
        if score.unanswered:
            answered += f"; not answered: {score.unanswered}"
        totals = [self.p(total), self.p(answered)]
        totals += self.bullets((f"{m.state_label}: {m.text}" for m in score.missing), "bullet")

        stages = [self.p("Stage scores", "h3"), self._stage_table(score.stages)]

        signs = [self.p(f"Warning signs endorsed: {len(score.signs_present)} of {score.signs_applicable}", "h3")]
        signs += self.bullets(p.title for p in score.signs_present) or [self.p("None endorsed", "muted")]
        if score.signs_not_known:
            signs.append(self.p("Not known (no answer to their questions): "
                                + esc("; ".join(p.title for p in score.signs_not_known)), "muted"))

        indicators = [self.p(f"Bond-specific indicators endorsed: {len(score.indicators_present)} "
                             f"of {score.indicators_applicable}", "h3")]
        indicators += (self.bullets(p.title for p in score.indicators_present)
                       or [self.p("None endorsed", "muted")])
        if score.indicators_not_known:
            indicators.append(self.p("Not known: " + esc("; ".join(p.title for p in score.indicators_not_known)), "muted"))

        # The band, totals and stage profile stay together; the lists may follow on the next page
        # rather than push the whole section on, which left most of page 1 empty behind the flags.
        return [KeepTogether(intro + totals + stages), KeepTogether(signs + indicators)]

    def _stage_table(self, stages):
        data = [[self.p("Stage", "cell_head"), self.p("Score", "cell_head"), self.p("Endorsed", "cell_head")]]
        for stage in stages:
            value = DASH if stage.score is None else f"{stage.score} of {stage.maximum}"
            data.append([
                self.p(f"{stage.number}. {esc(stage.title)}", "cell"),
                self.p(value, "cell"),
                self.p("<b>endorsed</b>" if stage.status == "endorsed" else stage.status_label, "cell"),
            ])
        table = Table(data, colWidths=[self.width - 58 * mm, 28 * mm, 30 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(self._grid_style())
        return table

    def _protective(self):
        pf = self.report.protective
        story = [
            self.p("Protective factors", "h2"),
            self.p(f"<b>{pf.count} of {pf.items} endorsed</b> (answered {pf.answered}, without an answer {pf.declined})"),
        ]
        story += self.bullets(p.title for p in pf.present)
        if pf.context:
            story.append(self.p("Also recorded: " + esc("; ".join(p.title for p in pf.context)), "muted"))
        return [Spacer(1, 6), KeepTogether(story)]

    def _notes(self):
        notes = (self.report.notes or "").strip()
        if not notes:
            return [self.p("Clinician notes", "h2"), self.p("None recorded.", "muted")]
        # One Paragraph per paragraph of the notes: reportlab lays out a single huge Paragraph slowly.
        blocks = [block for block in re.split(r"\n\s*\n", notes) if block.strip()]
        return [self.p("Clinician notes", "h2")] + [self.p(esc_multiline(block.strip())) for block in blocks]

    def _appendix(self):
        story = [PageBreak(), self.p("Appendix: item-level answers", "h1")]
        if self.report.administration:
            story.append(self.p(
                f"{esc(self.report.administration)}. Answers marked \u201cclient\u201d are the client's own; where the "
                "clinician changed an answer afterwards, the client's answer is shown beneath it.", "muted"))
        for section in self.report.appendix:
            # not keepWithNext: a table longer than a page would push the title to a page of its own
            story += [CondPageBreak(45 * mm), self.p(esc(section.title), "h2_split")]
            if not section.rows:
                story.append(self.p("No items.", "muted"))
                continue
            data = [[self.p("Question", "cell_head"), self.p("Answer", "cell_head")]]
            for row in section.rows:
                question = esc(row.text)
                if row.tags:
                    question += f'<br/><font size="8" color="#6b6f75">{esc(row.tags)}</font>'
                data.append([self.p(question, "cell"), self.p(self._answer_cell(row), "cell")])
            table = Table(data, colWidths=[self.width - 40 * mm, 40 * mm], repeatRows=1, hAlign="LEFT")
            table.setStyle(self._grid_style())
            story.append(table)
        return story

    @staticmethod
    def _answer_cell(row):
        """The answer that counts; in self-report, the client's own answer beneath one the clinician
        changed, or a small mark on one the client gave and the clinician left."""
        answer = esc(row.answer)
        if row.client_answer:
            answer += f'<br/><font size="8" color="#6b6f75">(client answered: {esc(row.client_answer)})</font>'
        elif row.by_client:
            answer += ' <font size="8" color="#6b6f75">(client)</font>'
        return answer
