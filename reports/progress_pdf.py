"""The progress report over months as a PDF: flags history first, then each bond's trend and scores."""

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table

from reports.charts import trend_drawing
from reports.pdf import DASH, ReportPDF, esc, fmt_percent
from screening.progress import protective_summary

NO_SCREENING = "This bond was not screened in this period."


def _signed(value):
    if value is None:
        return DASH
    return f"{value:+g}" if value else "0"


class ProgressReportPDF(ReportPDF):
    """Renders one `ProgressReport` to PDF bytes."""

    subject = "Trauma bonding progress report"

    def document_title(self):
        return f"Progress report {self.report.client_code} {self.report.generated}"

    def _story(self):
        r = self.report
        period = f"{r.start or 'first screening'} to {r.end or r.generated}"
        rows = [
            ("Clinic", r.clinic_name),
            ("Client code", r.client_code),
            ("Period", period),
            ("Screenings", f"{r.screenings} completed with {r.instrument_title} ({r.instrument_key})"),
            ("Prepared", f"{r.generated} by {r.generated_by}"),
        ]
        if r.other_versions:
            rows.append(("Not compared", "Screenings with checklist version " + ", ".join(r.other_versions)
                         + " are left out: only one version is compared."))
        story = self._header_block(f"Trauma bonding screening {DASH} progress report", rows)
        story += self._flags()
        for bond in r.bonds:
            story += self._bond(bond)
        story += self._protective()
        return story

    def _flags(self):
        lines = self.report.flag_history
        story = [self.p("Safety flags over time", "h2")]
        if not lines:
            return story + [self.p("No completed screening in this period.", "muted")]
        data = [[self.p("Date", "cell_head"), self.p("Timepoint", "cell_head"), self.p("Safety flags raised", "cell_head")]]
        for line in lines:
            flags = "<br/>".join(esc(flag) for flag in line.flags)
            data.append([self.p(str(line.date), "cell"), self.p(esc(line.kind), "cell"),
                         self.p(flags or "None", "cell")])
        table = Table(data, colWidths=[30 * mm, 30 * mm, self.width - 60 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(self._grid_style())
        return story + [table]

    def _bond(self, bond):
        name = bond.title + (f" ({bond.label})" if bond.label else "")
        intro = [Spacer(1, 14), self._band(bond.heading, bond.bond_type), Spacer(1, 6),
                 self.p(f"<b>Bond:</b> {esc(bond.title)}" + (f" {DASH} relationship: {esc(bond.label)}" if bond.label else ""))]
        if not bond.rows:
            return [KeepTogether(intro + [self.p(NO_SCREENING, "muted")])]
        chart = trend_drawing(list(bond.series), f"{name}: trend", width=self.width, height=230)
        head = ["Timepoint", "Date", "Clinician", "Contact", "Total", "Signs", "Since first", "Since last"]
        data = [[self.p(h, "cell_head") for h in head]]
        for row in bond.rows:
            total = (f"{row.raw} of {row.maximum} ({fmt_percent(row.percent)}%)" if row.percent is not None
                     else "not scored")
            when = esc(row.timepoint) + (f", day {row.days_since_intake}" if row.days_since_intake else "")
            data.append([self.p(when, "cell"), self.p(str(row.date) + (" (amended)" if row.amended else ""), "cell"),
                         self.p(esc(row.clinician), "cell"), self.p(esc(row.contact or "not recorded"), "cell"),
                         self.p(total, "cell"),
                         self.p(f"{row.signs} of {row.signs_applicable}", "cell"),
                         self.p(_signed(row.since_first), "cell"), self.p(_signed(row.since_previous), "cell")])
        widths = [23, 25, 26, 21, 31, 14, 17, 17]
        scale = self.width / sum(widths)
        table = Table(data, colWidths=[w * scale for w in widths], repeatRows=1, hAlign="LEFT")
        table.setStyle(self._grid_style())
        notes = ("Signs: warning signs endorsed. Changes are in percentage points of the maximum for answered items; "
                 "equal figures are no change.")
        if bond.compared_items_differ:
            notes += " The items answered differ between the first and the last screening."
        story = [KeepTogether(intro + [chart]), Spacer(1, 6), table, self.p(esc(notes), "muted")]
        story += self._reliable_change(bond.reliable_change)
        came = []
        for label, change in (("Stages", bond.stages), ("Warning signs", bond.signs)):
            came.append(self.p(f"{label} since the first screening in this period", "h3"))
            came.append(self.p("Newly endorsed: " + (esc("; ".join(change.appeared)) or "none")))
            came.append(self.p("No longer endorsed: " + (esc("; ".join(change.gone)) or "none")))
            if change.not_known:
                came.append(self.p("Not known at one of the two, so not compared: " + esc("; ".join(change.not_known)),
                                   "muted"))
        return story + [KeepTogether(came)]

    def _reliable_change(self, rc):
        """The judgement of first to last as its own part: figures and judgement, then its basis (plain
        paragraphs, so a long one carries on to the next page)."""
        if rc is None:
            return []
        head = self.p("Reliable change, first to last screening in this period", "h3")
        if rc.judged:
            words = self.p(f"Total of the {rc.items_used} items judged: {rc.x1} → {rc.x2} ({rc.difference:+d}): <b>{esc(rc.judgement)}</b>")
        else:
            words = self.p(esc(rc.words))
        story = [KeepTogether([head, words])]
        if rc.basis_parts:
            story.append(self.p(esc(" · ".join(rc.basis_parts)), "muted"))
        return story

    def _protective(self):
        rows = self.report.protective
        story = [self.p("Protective factors over time", "h2")]
        if not rows:
            return story + [self.p("No completed screening in this period.", "muted")]
        data = [[self.p("Date", "cell_head"), self.p("Protective factors endorsed", "cell_head")]]
        data += [[self.p(str(r.date), "cell"), self.p(f"{r.count} of {r.items}", "cell")] for r in rows]
        table = Table(data, colWidths=[40 * mm, self.width - 40 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(self._grid_style())
        words = protective_summary(rows[0].count, rows[-1].count, rows[-1].items)
        return story + [table, Spacer(1, 4), self.p(esc(words) + " (first to last screening in this period)")]
