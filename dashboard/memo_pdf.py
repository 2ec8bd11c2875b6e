"""The briefing memo as a PDF (reportlab): agenda, each item's chart with its target, status, commentary, follow-ups."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dashboard.briefing import Briefing, Item
from dashboard.figures import NAVY, TARGET
from data.followup_store import FollowUpRow
from metrics.spec import FormatType

STYLES = getSampleStyleSheet()
BODY = STYLES["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444"))
GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b0b7c0")),
                   ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                   ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTSIZE", (0, 0), (-1, -1), 8.5)])


def memo_pdf(content: Briefing, city: str) -> bytes:
    """The pre-read for ``content``'s session, on US Letter."""
    out = io.BytesIO()
    s = content.session
    doc = SimpleDocTemplate(out, pagesize=LETTER, title=f"CitiStat briefing: {content.subject}, {s.meets_on}",
                            author=f"{city} Office of Performance", leftMargin=0.7 * inch, rightMargin=0.7 * inch,
                            topMargin=0.7 * inch, bottomMargin=0.7 * inch)
    story: list[Flowable] = [
        Paragraph(f"CitiStat briefing: {escape(content.subject)}", STYLES["Title"]),
        Paragraph(f"{escape(s.summary)}.", BODY),
    ]
    if s.attendees:
        story.append(Paragraph(f"Attendees: {escape(s.attendee_list)}", BODY))
    story += [Spacer(1, 8), Paragraph("Agenda", STYLES["Heading2"])]
    if content.items:
        rows = [["#", "Measure", "Status", "Latest", "Target"]] + [
            [str(n), Paragraph(escape(i.metric.title), SMALL), i.assessment.status.label, i.fmt(i.assessment.value),
             i.fmt(i.assessment.target)] for n, i in enumerate(content.items, start=1)]
        story.append(Table(rows, colWidths=[0.3 * inch, 3.6 * inch, 1.1 * inch, 0.9 * inch, 0.9 * inch],
                           style=GRID, repeatRows=1))
    else:
        story.append(Paragraph("No measures on the agenda.", BODY))
    for number, item in enumerate(content.items, start=1):
        story.append(KeepTogether(_item(number, item)))
    story.append(Paragraph("Open follow-ups", STYLES["Heading2"]))
    open_ones = [f for f in content.assigned + content.carried if f.is_open_on(content.today)]
    story.append(_follow_ups(open_ones, content) if open_ones else Paragraph("None open.", BODY))
    doc.build(story)
    return out.getvalue()


def _item(number: int, item: Item) -> list[Flowable]:
    parts: list[Flowable] = [Paragraph(f"{number}. {escape(item.metric.title)}", STYLES["Heading3"]),
                             Paragraph(escape(item.assessment.sentence), BODY)]
    why = item.entry.explanation or item.entry.analyst_note
    if why:
        parts.append(Paragraph(f"Why it is on the agenda: {escape(why)}", SMALL))
    if item.points:
        parts.append(_chart(item))
    for comment in item.comments:
        parts.append(Paragraph(f"Commentary ({comment.visibility.value}, {escape(comment.author)}): "
                               f"{escape(comment.body)}", SMALL))
    parts.append(Spacer(1, 6))
    return parts


def _chart(item: Item) -> Drawing:
    """Values (solid navy; values the quality gate holds out are left out) and the target (dashed orange)."""
    labels = [p.label for p in item.points]
    values = [None if p.held_out else p.value for p in item.points]
    targets = [p.target for p in item.points]
    drawing = Drawing(6.8 * inch, 1.9 * inch)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 50, 28, 6.8 * inch - 70, 1.9 * inch - 48
    chart.data = [values, targets] if any(t is not None for t in targets) else [values]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    known = [v for v in values + targets if v is not None]
    chart.valueAxis.valueMin = min(0.0, *known)
    chart.valueAxis.valueMax = max(known) * 1.1 if known and max(known) > 0 else 1.0
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = (lambda v: f"{v:.0%}") if item.metric.format is FormatType.PERCENT else \
        (lambda v: f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2g}")
    chart.lines[0].strokeColor, chart.lines[0].strokeWidth = colors.HexColor(NAVY), 2
    if len(chart.data) > 1:
        chart.lines[1].strokeColor, chart.lines[1].strokeDashArray = colors.HexColor(TARGET), (4, 3)
    drawing.add(chart)
    legend = "Value (solid) and target (dashed)" if len(chart.data) > 1 else "Value"
    if any(p.held_out for p in item.points):
        legend += "; questionable values are left out (see the status above)"
    drawing.add(String(50, 1.9 * inch - 12, legend, fontSize=7.5, fillColor=colors.HexColor("#444444")))
    return drawing


def _follow_ups(rows: list[FollowUpRow], content: Briefing) -> Table:
    day = content.today
    body = [["Follow-up", "Owner", "Due", "Deliverable", "Status"]] + [
        [Paragraph(escape(f.request), SMALL),
         Paragraph(escape(f"{f.owner_role}, {content.agency_names.get(f.owner_agency, '')}"), SMALL),
         f"{f.due_on}", f.deliverable.label, f.colour(day).label] for f in rows]
    return Table(body, colWidths=[2.6 * inch, 1.6 * inch, 0.8 * inch, 1.0 * inch, 0.9 * inch], style=GRID,
                 repeatRows=1)
