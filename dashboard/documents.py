"""A CitiStat session's documents, one layout for the web and the PDF: the brief (a one-page summary first, then
about half a page per agenda item) and the commitments memo (the meeting's decisions and who owes what by when).

The HTML comes from Jinja templates (``dashboard/templates``); WeasyPrint prints the same HTML as a tagged PDF
(PDF/UA-1: a structure tree screen readers follow), numbered, dated and marked internal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dashboard.briefing import Briefing
from dashboard.components import status_words
from dashboard.svg_charts import trend_image
from dashboard.views import series_summary

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def brief_html(content: Briefing, city: str, generated: dt.date) -> str:
    """The pre-read: the subject's score and its change, the agenda in a line per item, follow-ups due and
    overdue; then each item's status, chart with its target, commentary and the question to ask."""
    s = content.session
    summaries = [series_summary(i.metric, i.points, i.grain.value.replace("_", " ") if i.grain else "period")
                 for i in content.items]
    charts = [trend_image(i.points, i.metric.format, i.metric.unit, text) for i, text in zip(content.items, summaries,
                                                                                             strict=True)]
    return _render("brief.html", content, city, generated, title=f"CitiStat brief: {content.subject}",
                   subtitle=f"{s.summary}.", pdf=f"/download/citistat/{s.id}-brief.pdf", charts=charts,
                   summaries=summaries, score_line=_score_line(content))


def commitments_html(content: Briefing, city: str, generated: dt.date) -> str:
    """The commitments memo, ready the day of the meeting."""
    s = content.session
    titles = {i.metric.id: i.metric.title for i in (*content.items, *content.removed, *content.considered)}
    return _render("commitments.html", content, city, generated,
                   title=f"CitiStat commitments: {content.subject}",
                   subtitle=f"Meeting of {s.meets_on:%A, %B %-d, %Y}. Attendees: {s.attendee_list or 'not recorded'}.",
                   pdf=f"/download/citistat/{s.id}-commitments.pdf", titles=titles)


def to_pdf(document: str) -> bytes:
    """The document printed as a tagged PDF (PDF/UA-1), as the browser's print would lay it out."""
    from weasyprint import HTML  # imported when needed: it loads Pango

    return bytes(HTML(string=document).write_pdf(pdf_variant="pdf/ua-1"))


def _render(template: str, content: Briefing, city: str, generated: dt.date, **extra: Any) -> str:
    day = f"{generated:%B %-d, %Y}"
    css = {"title": Markup(_css_text(extra["title"])), "city": Markup(_css_text(city)), "generated": day}
    return TEMPLATES.get_template(template).render(b=content, words=status_words, city=city, generated=day,
                                                   back=f"/citistat/{content.session.id}", css=css, **extra)


def _css_text(text: str) -> str:
    """Text safe inside a CSS string (the page header and footer)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "‹").replace("\n", " ")


def _score_line(content: Briefing) -> str:
    score, before = content.score, content.previous_score
    counts = ", ".join(f"{score.count(s)} {s.label.lower()}" for s in score.counts if score.count(s))
    line = (f"score {score.score:.2f}" if score.score is not None else "no score yet") + \
        f" over {score.metrics} measures ({counts or 'none judged'})"
    if before is not None and before.score is not None and score.score is not None and content.previous:
        change = score.score - before.score
        line += (f"; {'up' if change > 0 else 'down' if change < 0 else 'no change'}"
                 f"{f' {abs(change):.2f}' if change else ''} since the session of "
                 f"{content.previous.meets_on:%B %-d, %Y} ({before.score:.2f})")
    return line + "."
