"""The shapes the open-data API answers with; the OpenAPI document's schemas are generated from them."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Scored(_Out):
    measures: int = Field(description="public measures under this heading")
    status_counts: dict[str, int] = Field(description="measures per status (a stale measure by its last reading)")
    stale: int = Field(description="measures whose data is older than their frequency allows")
    score: float | None = Field(description="mean score of the measures (1.0 = at target), null if none is scored")


class Pillar(Scored):
    id: str
    name: str
    summary: str | None
    goals: list[str]
    page: str


class Goal(Scored):
    id: str
    pillar: str
    title: str
    lead: str | None
    initiatives: list[str]
    page: str


class Agency(Scored):
    id: str
    name: str
    services: list[str]
    page: str


class Service(Scored):
    id: str
    name: str
    agency: str
    pillar: str | None
    service_type: str | None
    description: str | None
    page: str


class Area(_Out):
    key: str
    name: str


class Geography(_Out):
    id: str
    label: str
    areas: list[Area]


class Target(_Out):
    fiscal_year: int
    quarter: int | None = Field(description="null for a whole fiscal year's target")
    value: float = Field(description="percent as a 0-1 fraction")
    illustrative: bool = Field(description="set for demonstration, not adopted by the city")
    note: str | None


class Status(_Out):
    status: str = Field(description="on_track, near_target, off_track, no_data, stale, informational or not_judged")
    judged_as: str | None = Field(description="for a stale measure, the status its last values have (scores and "
                                              "status counts count it by this); null otherwise")
    label: str
    sentence: str = Field(description="the status, its rule and its inputs in one sentence")
    value: float | None
    period: str | None = Field(description="what the value covers, e.g. 'FY2026 Q1–Q3, year to date'")
    target: float | None = Field(description="the fiscal year's target")
    expected: float | None = Field(description="the target pro-rated to the part of the year the value covers")
    year_earlier: float | None = Field(description="the same stretch of the year before, when its data covers as much")
    year_earlier_period: str | None
    score: float | None
    data_through: dt.date | None


class Metric(_Out):
    id: str
    title: str
    definition: str
    measure_type: str
    pillar: str | None
    goal: str | None
    agency: str
    services: list[str]
    format: str | None = Field(description="percent values are 0-1 fractions")
    unit: str | None
    direction: str
    band: list[float] | None = Field(description="[lower, upper] for a measure kept within a band")
    frequency: str
    grains: list[str] = Field(description="the periods its values come at; the grain its values may be narrowed to")
    geographies: list[str]
    baseline: float | None
    targets: list[Target]
    status: Status
    formula: str | None
    source: str | None = Field(description="where the data comes from")
    page: str
    values: str = Field(description="the API address of its values")


class Flag(_Out):
    rule: str
    reason: str


class Value(_Out):
    metric: str
    grain: str
    period: str = Field(description="the period in words, fiscal periods by the city's fiscal year")
    period_start: dt.date
    period_end: dt.date
    data_through: dt.date | None = Field(description="where the data stops when it does not cover the period")
    geography: str = Field(description="'city' for the citywide value")
    area: str = Field(description="the area's key; empty for the city")
    value: float | None = Field(description="percent as a 0-1 fraction")
    numerator: float | None
    denominator: float | None
    used_for_status: bool = Field(description="false when the quality gate holds the value out of judgements")
    flags: list[Flag]
    review: str | None = Field(description="the performance team's review of a flagged value, and why")
    note: str | None


class Score(Scored):
    level: str = Field(description="city, pillar, goal, agency or service")
    id: str


class ScoreAt(Scored):
    level: str = Field(description="city or pillar")
    id: str
    date: dt.date = Field(description="the fiscal quarter's last day, or today for the current score")
    period: str = Field(description="the quarter ('FY2026 Q2'), or 'Now'")
    basis: str = Field(description="published: the values the site held that day; reconstructed: before the site "
                                   "kept its own history, today's values of the periods then ended; current: today")


class Listing(_Out):
    count: int


class Pillars(Listing):
    data: list[Pillar]


class Goals(Listing):
    data: list[Goal]


class Agencies(Listing):
    data: list[Agency]


class Services(Listing):
    data: list[Service]


class Geographies(Listing):
    data: list[Geography]


class Metrics(Listing):
    data: list[Metric]


class Values(Listing):
    data: list[Value]


class MetricStatus(Status):
    metric: str


class Statuses(Listing):
    data: list[MetricStatus]


class Scores(Listing):
    data: list[Score]


class ScoreHistory(Listing):
    data: list[ScoreAt]


class Index(_Out):
    name: str
    version: str
    openapi: str
    endpoints: dict[str, str]
    downloads: dict[str, str]


class Problem(_Out):
    """An error (RFC 9457 problem details)."""

    status: int
    title: str
    detail: str
