"""Each page's served document names its page: its own ``<title>``, description and Open Graph tags, never the
words of a measure the visitor may not see; and text responses are compressed for browsers that accept it."""

from __future__ import annotations

import gzip
import html
import re
import urllib.request
from collections.abc import Callable

from tests.dashboard.helpers import Client
from tests.dashboard.test_security import leaks


def _head(body: str) -> tuple[str, dict[str, str]]:
    title = html.unescape(re.search(r"<title>(.*?)</title>", body, re.S).group(1))  # type: ignore[union-attr]
    metas = {m.group(1): html.unescape(m.group(2))
             for m in re.finditer(r'<meta (?:name|property)="([^"]+)" content="([^"]*)"', body)}
    return title, metas


def test_each_page_has_its_own_title_and_description(serve: Callable[..., str]) -> None:
    client = Client(serve())
    titles = {}
    for path in ("/", "/metrics/events_count", "/pillars/1", "/goals/1.1", "/agencies/AG1", "/services/SV1",
                 "/areas/district", "/areas/district/1", "/about"):
        title, metas = _head(client.request(path).body)
        assert title.endswith("· Testville Performance") and metas["og:title"] == title, path
        assert metas["description"] and metas["og:description"] == metas["description"], path
        titles[path] = title
    assert len(set(titles.values())) == len(titles)
    assert titles["/metrics/events_count"].startswith("Events ·")
    assert titles["/goals/1.1"].startswith("Goal 1.1: Faster response")


def test_a_hidden_measure_keeps_its_words(serve: Callable[..., str]) -> None:
    base = serve()
    reply = Client(base).request("/metrics/patrol_spend")
    assert reply.status == 404 and leaks(reply.body.replace("/metrics/patrol_spend", "")) == []  # its address
    assert _head(reply.body)[0].startswith("Page not found ·")  # as an unknown measure's, which the page is
    assert _head(Client(base).request("/metrics/no_such_measure").body)[0] == _head(reply.body)[0]
    police = Client(base)
    police.sign_in("police")
    assert _head(police.request("/metrics/patrol_spend").body)[0].startswith("Patrol overtime")


def test_text_answers_are_compressed(serve: Callable[..., str]) -> None:
    base = serve()
    for path in ("/", "/api/v1/metrics", "/api/v1/values.csv"):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.read())


def test_a_public_chart_embeds_without_the_site_and_a_hidden_one_never(serve: Callable[..., str]) -> None:
    base = serve()
    police = Client(base)
    police.sign_in("police")  # staff who may see the internal measure get no embed of it either
    for client in (Client(base), police):
        reply = client.request("/embed/metrics/events_count")
        assert reply.status == 200 and "frame-ancestors *" in reply.headers["Content-Security-Policy"]
        assert "<nav" not in reply.body and "Events" in reply.body and 'role="img"' not in reply.body
        assert re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]+', reply.body)  # chart, in words
        assert "Source: " in reply.body and "data through 20" in reply.body
        hidden = client.request("/embed/metrics/patrol_spend")
        assert hidden.status == 404 and leaks(hidden.body) == []
    for path in ("/", "/sign-in", "/api/v1/metrics"):  # every other page: framed by the site itself only
        headers = Client(base).request(path).headers
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert Client(base).request("/embed/metrics/events_count?grain=purple").status == 404
    assert Client(base).request("/embed/anything/else").status == 404


def test_the_internal_site_embeds_nothing(serve: Callable[..., str]) -> None:
    assert Client(serve(SITE="internal")).request("/embed/metrics/events_count").status == 401
