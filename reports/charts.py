"""The trend chart of one bond over re-screenings: one reportlab Drawing, drawn into the progress PDF
as it is and turned into SVG for the web page (svg()).

Top panel: the total as % of the maximum. Bottom panel: how many warning signs were endorsed. Dates on the axis; a red triangle marks a screening that raised a safety flag.
"""

import re

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Polygon, Rect, String
from reportlab.lib import colors

from reports.fonts import FONT, register_fonts

TOTAL = colors.HexColor("#1f4e79")
SIGNS = colors.HexColor("#b26a00")
FLAG = colors.HexColor("#b00020")
GRID = colors.HexColor("#d5d8dc")
TEXT = colors.HexColor("#333333")

LEFT, RIGHT, BOTTOM, TOP = 34, 14, 34, 30
GAP = 18  # between the two panels


def _x_positions(dates, x0, width):
    if len(dates) == 1:
        return [x0 + width / 2]
    first, last = dates[0].toordinal(), dates[-1].toordinal()
    span = max(last - first, 1)
    return [x0 + width * (d.toordinal() - first) / span for d in dates]


def _panel(d, x0, y0, w, h, ymax, ticks, suffix=""):
    for t in ticks:
        y = y0 + h * t / ymax
        d.add(Line(x0, y, x0 + w, y, strokeColor=GRID, strokeWidth=0.5))
        d.add(String(x0 - 4, y - 3, f"{t:g}{suffix}", fontName=FONT, fontSize=7, fillColor=TEXT, textAnchor="end"))
    d.add(Line(x0, y0, x0, y0 + h, strokeColor=TEXT, strokeWidth=0.6))


def _line(d, xs, ys, colour, y0, h, ymax, dashed=False):
    pts = [(x, y0 + h * y / ymax) for x, y in zip(xs, ys) if y is not None]
    if len(pts) > 1:
        d.add(PolyLine([c for p in pts for c in p], strokeColor=colour, strokeWidth=1.6,
                       strokeDashArray=[3, 2] if dashed else None))
    return pts


def trend_drawing(series, title, width=480, height=260):
    """series: screening.progress.SeriesPoint in date order (one per screening)."""
    register_fonts()
    d = Drawing(width, height)
    d.add(String(0, height - 12, title, fontName=FONT, fontSize=10, fillColor=TEXT))
    if not series:
        d.add(String(0, height - 30, "No completed screening of this bond yet.", fontName=FONT, fontSize=9, fillColor=TEXT))
        return d

    plot_w = width - LEFT - RIGHT
    panels_h = height - BOTTOM - TOP - GAP
    top_h, bottom_h = panels_h * 0.58, panels_h * 0.42
    bottom_y = BOTTOM
    top_y = BOTTOM + bottom_h + GAP
    xs = _x_positions([p.date for p in series], LEFT, plot_w)

    _panel(d, LEFT, top_y, plot_w, top_h, 100, (0, 25, 50, 75, 100), "%")
    _line(d, xs, [p.percent for p in series], TOTAL, top_y, top_h, 100)
    for x, p in zip(xs, series):
        if p.percent is not None:
            d.add(Circle(x, top_y + top_h * p.percent / 100, 3, fillColor=TOTAL, strokeColor=colors.white, strokeWidth=0.8))
        if p.flagged:
            y = top_y + top_h + 2
            d.add(Polygon([x - 4, y, x + 4, y, x, y + 7], fillColor=FLAG, strokeColor=None))

    # The count's axis runs to the number of warning signs asked for this bond. (No "stages" line: a
    # stage counts as endorsed at one "Sometimes", so a count of stages says little; their scores
    # are in the tables.)
    count_max = max(p.signs_applicable for p in series) or 1
    _panel(d, LEFT, bottom_y, plot_w, bottom_h, count_max, sorted({0, count_max // 2, count_max}))
    _line(d, xs, [p.signs for p in series], SIGNS, bottom_y, bottom_h, count_max, dashed=True)
    for x, p in zip(xs, series):
        d.add(Rect(x - 2.2, bottom_y + bottom_h * p.signs / count_max - 2.2, 4.4, 4.4, fillColor=SIGNS, strokeColor=None))

    # Date labels: as many as fit without overlapping, always the first and the last.
    step = max(1, -(-len(series) * 52 // int(plot_w)))
    for i, (x, p) in enumerate(zip(xs, series)):
        if i % step == 0 or i == len(series) - 1:
            d.add(Line(x, bottom_y, x, bottom_y - 3, strokeColor=TEXT, strokeWidth=0.6))
            # The last label ends at its point, so it is not cut at the right edge.
            anchor = "end" if i == len(series) - 1 and len(series) > 1 else "middle"
            d.add(String(x, bottom_y - 12, p.date.strftime("%Y-%m-%d"), fontName=FONT, fontSize=7,
                         fillColor=TEXT, textAnchor=anchor))
    d.add(Line(LEFT, bottom_y, LEFT + plot_w, bottom_y, strokeColor=TEXT, strokeWidth=0.6))

    # Legend, in words as well as colour.
    y = 4
    x = LEFT
    for colour, text in ((TOTAL, "total, % of maximum (top)"),
                         (SIGNS, f"warning signs endorsed (of {series[-1].signs_applicable}, dashed)")):
        d.add(Rect(x, y, 8, 8, fillColor=colour, strokeColor=None))
        d.add(String(x + 11, y + 1, text, fontName=FONT, fontSize=7, fillColor=TEXT))
        x += 14 + 4.2 * len(text)
    d.add(Polygon([x, y, x + 8, y, x + 4, y + 7], fillColor=FLAG, strokeColor=None))
    d.add(String(x + 11, y + 1, "safety flag raised", fontName=FONT, fontSize=7, fillColor=TEXT))
    return d


_STYLE = re.compile(r'\sstyle="([^"]*)"')


def _style_to_attributes(match):
    # Presentation attributes instead of style="": the page's Content-Security-Policy forbids
    # inline styles, and SVG reads fill="…" and stroke="…" the same way.
    attrs = []
    for part in match.group(1).split(";"):
        if ":" in part:
            name, value = (s.strip() for s in part.split(":", 1))
            if name == "clip-path":
                continue
            if name == "font-family":
                value = "DejaVu Sans, Helvetica, Arial, sans-serif"  # the PDF embeds DejaVu; a browser may not have it
            attrs.append(f'{name}="{"none" if value == "None" else value}"')
    return " " + " ".join(attrs) if attrs else ""


def svg(drawing, label):
    """The drawing as an inline <svg> element with an accessible name."""
    text = renderSVG.drawToString(drawing)
    text = text[text.index("<svg"):]
    text = _STYLE.sub(_style_to_attributes, text)
    text = re.sub(r"<title>.*?</title>", f"<title>{_escape(label)}</title>", text, count=1, flags=re.S)
    text = re.sub(r"<desc>.*?</desc>\s*", "", text, count=1, flags=re.S)
    # Two charts share a page: drop the fixed ids (the clip path only covers the whole drawing).
    text = re.sub(r"<clipPath id=\"clip\">.*?</clipPath>\s*", "", text, count=1, flags=re.S)
    text = text.replace(' id="group"', "")
    return text.replace("<svg ", '<svg role="img" class="trend-chart" ', 1)


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
