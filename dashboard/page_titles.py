"""Each page's own browser title and sharing description, from the object its address names; an address the
viewer may not see gets the page's generic words, so a title never reveals an internal measure."""

from __future__ import annotations

from collections.abc import Callable

from dashboard.context import current_viewer, gate
from dashboard.geo import area_title
from data.errors import Forbidden, NotFound

Words = Callable[..., str]


def _or(generic: str, find: Callable[[str], str]) -> Words:
    def words(**params: str) -> str:
        value = next(iter(params.values()), "")
        try:
            return find(value) or generic
        except (NotFound, Forbidden, KeyError, ValueError):
            return generic
    return words


def _metric(metric_id: str) -> str:
    return gate().metric(current_viewer(), metric_id).title


def _metric_description(metric_id: str) -> str:
    metric = gate().metric(current_viewer(), metric_id)
    return metric.definition


def _pillar(pillar_id: str) -> str:
    return gate().registry.pillars[pillar_id].name


def _pillar_description(pillar_id: str) -> str:
    pillar = gate().registry.pillars[pillar_id]
    return pillar.summary or f"Progress on {pillar.name}, one of the pillars of {gate().registry.city.plan}."


def _goal(goal_id: str) -> str:
    return f"Goal {goal_id}: {gate().registry.goals[goal_id].title}"


def _agency(agency_id: str) -> str:
    return gate().registry.agencies[agency_id].shown_name


def _service(service_id: str) -> str:
    service = gate().registry.services[service_id]
    return f"{service.name} (budget service {service.id})"


def _district(key: str) -> str:
    city = gate().registry.city
    return area_title(city.geographies[city.districts or ""], key)


metric_title, pillar_title = _or("Measure", _metric), _or("Pillar", _pillar)
goal_title, agency_title = _or("Goal", _goal), _or("Agency", _agency)
service_title, district_title = _or("Budget service", _service), _or("District", _district)


def plan_title(**_: str) -> str:
    """"The Mayor's Action Plan": the city's plan, as a heading."""
    plan = gate().registry.city.plan
    return plan[:1].upper() + plan[1:]


def site_description(**_: str) -> str:
    return gate().registry.city.tagline


def _described(find: Callable[[str], str]) -> Words:
    def words(**params: str) -> str:
        return _or("", find)(**params) or site_description()
    return words


metric_description, pillar_description = _described(_metric_description), _described(_pillar_description)


def full_title(title: str | Words) -> Words:
    """The browser title: the page's own words, then the site's name."""
    def words(**params: str) -> str:
        own = title(**params) if callable(title) else title
        return f"{own} · {gate().registry.city.name} Performance"
    return words
