"""The open-data API over HTTP: every answer matches the OpenAPI document, internal measures never appear for
anyone, conditional requests, CORS, the per-address rate limit, and the bulk files with their descriptions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.parse
from collections.abc import Callable

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from dashboard.api import bulk, records
from data import reviews
from data.access import Gate
from data.db import get_engine
from data.models import Role
from data.policy import Viewer
from data.store import write_values
from metrics.values import Flag, QualityRule, ValueRow
from tests.dashboard.helpers import Client, Reply
from tests.dashboard.test_security import leaks

PUBLIC_IDS = ("events_count", "closed_on_time")
ENDPOINTS = ["/api/v1/", "/api/v1/pillars", "/api/v1/goals", "/api/v1/agencies", "/api/v1/services",
             "/api/v1/geographies", "/api/v1/metrics", "/api/v1/metrics/events_count",
             "/api/v1/metrics/events_count/values", "/api/v1/metrics/closed_on_time/values?grain=month",
             "/api/v1/metrics/events_count/values?geography=district", "/api/v1/statuses", "/api/v1/scores",
             "/api/v1/score-history",
             "/api/v1/openapi.json", "/api/v1/metrics.csv", "/api/v1/values.csv", "/api/v1/scores.csv",
             "/api/v1/score-history.csv", "/api/v1/datapackage.json", "/api/v1/data.json"]


def _check(document: OpenAPI, base: str, path: str, reply: Reply) -> None:
    address = urllib.parse.urlsplit(path)
    request = MockRequest(base, "get", address.path, args=dict(urllib.parse.parse_qsl(address.query)))
    kind = reply.headers.get("Content-Type", "").split(";")[0]
    document.validate_response(request, MockResponse(reply.body.encode(), status_code=reply.status,
                                                     content_type=kind, headers=dict(reply.headers)))


def test_every_answer_matches_the_document_and_holds_no_internal_measure(serve: Callable[..., str]) -> None:
    base = serve()
    anonymous, admin = Client(base), Client(base)
    admin.sign_in("admin")  # the API is the public's data: signing in shows nothing more
    document = OpenAPI.from_dict(json.loads(anonymous.request("/api/v1/openapi.json").body))
    for client in (anonymous, admin):
        for path in ENDPOINTS:
            reply = client.request(path)
            assert reply.status == 200, path
            assert leaks(reply.body) == [] and "AG2-police" not in reply.body, path
            if not path.endswith((".csv", "openapi.json", "datapackage.json", "data.json")):
                _check(document, base, path, reply)
    metrics = json.loads(anonymous.request("/api/v1/metrics").body)
    assert sorted(m["id"] for m in metrics["data"]) == sorted(PUBLIC_IDS) and metrics["count"] == 2
    works = next(a for a in json.loads(anonymous.request("/api/v1/agencies").body)["data"] if a["id"] == "AG1")
    assert works["measures"] == 2 and works["services"] == ["SV1"]
    police = next(a for a in json.loads(anonymous.request("/api/v1/agencies").body)["data"] if a["id"] == "AG2")
    assert police["measures"] == 0  # its internal measure is not counted either


def test_a_hidden_measure_answers_as_an_unknown_one(serve: Callable[..., str]) -> None:
    client = Client(serve())
    hidden, unknown = client.request("/api/v1/metrics/patrol_spend"), client.request("/api/v1/metrics/nope")
    assert hidden.status == unknown.status == 404
    assert hidden.body.replace("patrol_spend", "X") == unknown.body.replace("nope", "X")
    assert client.request("/api/v1/metrics/patrol_spend/values").status == 404
    assert client.request("/api/v1/nothing").status == 404
    assert json.loads(client.request("/api/v1/nothing").body)["title"] == "Not found"
    index = client.request("/api/v1")  # typed without its slash
    assert index.status == 308 and index.headers["Location"].endswith("/api/v1/")


def test_values_carry_periods_and_the_quality_gate(serve: Callable[..., str]) -> None:
    client = Client(serve())
    values = json.loads(client.request("/api/v1/metrics/events_count/values?grain=fiscal_year").body)["data"]
    city = [v for v in values if v["geography"] == "city"]
    assert city and all(v["grain"] == "fiscal_year" and v["period"].startswith("FY") for v in city)
    assert {"used_for_status", "flags", "period_start", "period_end"} <= set(city[0])
    bad = client.request("/api/v1/metrics/events_count/values?grain=week")
    assert bad.status == 400 and "grain" in json.loads(bad.body)["detail"]
    assert bad.headers["Content-Type"] == "application/problem+json"


def test_conditional_requests_answer_not_modified(serve: Callable[..., str]) -> None:
    base = serve()
    first = Client(base).request("/api/v1/metrics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = Client(base, If_None_Match=etag).request("/api/v1/metrics")
    assert again.status == 304 and again.body == ""
    assert Client(base, If_Modified_Since=modified).request("/api/v1/metrics").status == 304
    assert Client(base, If_None_Match='"other"').request("/api/v1/metrics").status == 200


def test_reads_are_open_to_other_sites(serve: Callable[..., str]) -> None:
    base = serve()
    reply = Client(base, Origin="https://news.example").request("/api/v1/pillars")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in reply.headers["Access-Control-Expose-Headers"]
    import urllib.request

    preflight = urllib.request.Request(base + "/api/v1/pillars", method="OPTIONS", headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    with urllib.request.urlopen(preflight, timeout=10) as response:
        assert response.status == 200
        assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    refused = urllib.request.Request(base + "/api/v1/pillars", method="DELETE")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(refused, timeout=10)
    assert error.value.code == 405


def test_an_address_over_its_rate_is_answered_429_and_others_are_not(serve: Callable[..., str]) -> None:
    base = serve(API_RATE_LIMIT="5 per minute", TRUSTED_PROXY_HOPS="1")
    busy, other = Client(base, X_Forwarded_For="203.0.113.7"), Client(base, X_Forwarded_For="203.0.113.8")
    answers = [busy.request("/api/v1/pillars") for _ in range(5)]
    assert [a.status for a in answers] == [200] * 5
    assert "Retry-After" not in answers[0].headers and answers[0].headers["X-RateLimit-Remaining"] == "4"
    refused = busy.request("/api/v1/metrics")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert json.loads(refused.body)["status"] == 429
    assert other.request("/api/v1/pillars").status == 200
    assert busy.request("/").status == 200  # pages are not the API's budget


def test_the_bulk_files_match_their_description(serve: Callable[..., str]) -> None:
    client = Client(serve())
    package = json.loads(client.request("/api/v1/datapackage.json").body)
    for resource in package["resources"]:
        path = urllib.parse.urlsplit(resource["path"]).path
        rows = list(csv.DictReader(io.StringIO(client.request(path).body)))
        assert rows and list(rows[0]) == [f["name"] for f in resource["schema"]["fields"]]
        if "metric_id" in rows[0]:
            assert "events_count" in {r["metric_id"] for r in rows} <= set(PUBLIC_IDS)
    scores = {(r["level"], r["id"]): r for r in csv.DictReader(io.StringIO(client.request("/api/v1/scores.csv").body))}
    for heading in json.loads(client.request("/api/v1/scores").body)["data"]:  # the same figures as the API's
        row = scores.pop((heading["level"], heading["id"]))
        assert int(row["measures"]) == heading["measures"] and int(row["stale"]) == heading["stale"]
        assert (row["score"] or None) == (None if heading["score"] is None else repr(heading["score"]))
        assert all(int(row[status]) == count for status, count in heading["status_counts"].items())
    assert not scores
    history = csv.DictReader(io.StringIO(client.request("/api/v1/score-history.csv").body))
    assert [(r["id"], r["period"], r["score"] or None) for r in history] == [
        (p["id"], p["period"], None if p["score"] is None else repr(p["score"]))
        for p in json.loads(client.request("/api/v1/score-history").body)["data"]]
    catalogue = json.loads(client.request("/api/v1/data.json").body)
    dataset = catalogue["dataset"][0]
    assert {"title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
            "accessLevel", "distribution"} <= set(dataset)
    assert all(client.request(urllib.parse.urlsplit(d.get("downloadURL") or d["accessURL"]).path).status == 200
               for d in dataset["distribution"])


def test_an_internal_site_keeps_its_data_for_staff(serve: Callable[..., str]) -> None:
    base = serve(SITE="internal")
    assert Client(base).request("/api/v1/metrics").status == 401
    staff = Client(base)
    staff.sign_in("works")
    assert staff.request("/api/v1/metrics").status == 200


def test_the_values_csv_carries_each_review_and_note_as_the_api_does(gate: Gate) -> None:
    spike = Flag(QualityRule.OUTLIER, "far outside this measure's usual range")
    rows = [ValueRow("month", dt.date(2025, 7 + n, 1), "city", "", v, note="Estimated" if n == 0 else None,
                     flags=(spike,) if n == 3 else ()) for n, v in enumerate([8.0, 9.0, 9.0, 150.0])]
    with get_engine().begin() as conn:
        write_values(conn, "events_count", rows, run_id=None)
    reviews.review_value(gate, Viewer(Role.ADMIN, "reviewer-qz"), "events_count", period="month:2025-10-01",
                         place="city:", verdict="confirmed", reason="Checked with the agency's data lead")
    text = bulk.values_csv(gate)
    table = {(r["grain"], r["period_start"], r["geography"], r["area"]): r
             for r in csv.DictReader(io.StringIO(text)) if r["metric_id"] == "events_count"}
    api = {(v.grain, v.period_start.isoformat(), v.geography, v.area): v for v in records.values(gate, "events_count")}
    assert table.keys() == api.keys()
    assert all((row["review"] or None, row["note"] or None) == (api[key].review, api[key].note)
               for key, row in table.items())
    assert table[("month", "2025-10-01", "city", "")]["review"] == "confirmed: Checked with the agency's data lead"
    assert table[("month", "2025-07-01", "city", "")]["note"] == "Estimated"
    assert "reviewer-qz" not in text  # who reviewed is for staff only
