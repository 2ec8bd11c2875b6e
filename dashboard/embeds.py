"""Embeddable charts ``/embed/metrics/<id>``: a public measure's trend without the site around it, with its
status, source and data date, for a newsroom's article or a council member's page; and who may frame what (any
site an embed, only the site itself every other page, so a staff form is never clicked through another's frame)."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from dashboard.components import status_words
from dashboard.context import gate, today
from dashboard.documents import TEMPLATES
from dashboard.metric_data import chart_summary, metric_page
from dashboard.svg_charts import trend_image
from data.errors import NotFound
from data.policy import ANONYMOUS

PREFIX = "/embed/metrics/"
POLICY = "frame-ancestors *; default-src 'none'; img-src data:; style-src 'unsafe-inline'"  # any site may frame it


def install(server: Flask) -> None:
    @server.after_request
    def _framing(response: Response) -> Response:
        if not request.path.startswith("/embed/"):
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'self'")
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response

    @server.get(f"{PREFIX}<metric_id>")
    def embed(metric_id: str) -> Response:
        if current_app.config.get("CITISTAT_SITE") == "internal":
            return Response("Sign in to see this site's charts.\n", status=401, mimetype="text/plain")
        reads = gate()
        try:  # read as an anonymous visitor whoever asks: an embed is public by nature
            page = metric_page(reads, ANONYMOUS, metric_id, {"grain": request.args.get("grain", "")}, today())
        except NotFound:
            return Response("No public measure has that address.\n", status=404, mimetype="text/plain")
        registry = reads.registry
        m = page.metric
        source = registry.sources.get(m.computation.source)
        summary = chart_summary(page)
        body = TEMPLATES.get_template("embed.html").render(
            metric=m, status=status_words(page.assessment), sentence=page.assessment.sentence,
            chart=trend_image(page.points, m.format, m.unit, summary), summary=summary,
            source=source.title if source else m.computation.source,
            attribution=source.attribution if source else None,
            through=page.assessment.data_through, site=f"{registry.city.name} Performance",
            page=request.host_url.rstrip("/") + f"/metrics/{m.id}")
        reply = Response(body, mimetype="text/html")
        reply.headers["Content-Security-Policy"] = POLICY
        reply.headers["Cache-Control"] = "public, max-age=300"
        return reply

    @server.get("/embed/<path:rest>")
    def unknown_embed(**_: str) -> Response:
        return Response("No embed has that address.\n", status=404, mimetype="text/plain")
