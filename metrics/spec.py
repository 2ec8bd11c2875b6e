"""The registry's vocabulary: closed enums and the frozen models that YAML files are parsed into."""

from __future__ import annotations

import codecs
import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, field_validator, model_validator

from metrics.aggregations import KINDS, Aggregation, AggregationKind, PeriodTotal
from metrics.quality_settings import QualitySpec

MetricId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
RefId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]
ColumnName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=63)]


class MeasureType(StrEnum):
    """Outcome-budgeting class of a measure (the budget book's four kinds)."""

    OUTPUT = "output"
    EFFICIENCY = "efficiency"
    EFFECTIVENESS = "effectiveness"
    OUTCOME = "outcome"


class FormatType(StrEnum):
    """How a value is stored and shown. Percent is stored as a 0–1 fraction."""

    COUNT = "count"
    PERCENT = "percent"
    CURRENCY = "currency"
    RATE = "rate"
    DAYS = "days"


class Direction(StrEnum):
    """Which way is better."""

    INCREASE = "increase"
    DECREASE = "decrease"
    MAINTAIN = "maintain"  # stay inside a band
    NONE = "none"  # informational: no better way


class Frequency(StrEnum):
    """How often a metric gets a new value."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"


class Visibility(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Grain(StrEnum):
    """Period a value covers. Fiscal grains follow the city's fiscal-year start month."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    FISCAL_QUARTER = "fiscal_quarter"
    FISCAL_YEAR = "fiscal_year"


class ComputationKind(StrEnum):
    REPORTED = "reported"  # the agency reports the figure per period; we read it as given
    COMPUTED = "computed"  # we aggregate an event table


class FilterOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"


class ColumnType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"


class Transform(StrEnum):
    """Cleaning applied by the loader to a text column (the source file is never edited)."""

    STRIP = "strip"
    UPPER = "upper"
    TITLE = "title"


class LoadFormat(StrEnum):
    CSV = "csv"
    FISCAL_PERIOD_COLUMNS = "fiscal_period_columns"  # one row per key and fiscal year, a column per quarter


class CitywideMethod(StrEnum):
    """How a ``latest`` metric with areas gets its citywide value (one area's reading is not the city's)."""

    SUM = "sum"  # the areas' latest readings add up (counts, money)
    WEIGHTED = "weighted"  # the areas' latest readings averaged, weighted by ``weight_column`` (rates)
    ROWS = "rows"  # the source has the city's own rows, picked by ``filters``


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class _InFolder(_Frozen):
    """A spec naming files relative to the registry folder it was read from (the city's folder)."""

    _folder: Path = PrivateAttr(default_factory=Path)

    def place_in(self, folder: Path) -> None:
        """Set by the registry reader; specs built in code name files relative to the working directory."""
        self._folder = folder


class City(_Frozen):
    """Instance-wide settings (``city.yaml``)."""

    name: str
    plan: str = "the city's plan"  # what the pillars belong to: "the Mayor's Action Plan"
    tagline: str = "Progress on the city's performance measures"
    credit: str = ""  # who the data comes from, under every page: "Data: City of …"
    contact_email: str | None = None  # who answers questions about the open data (its DCAT-US contact point)
    fiscal_year_start_month: int = Field(default=7, ge=1, le=12)
    timezone: str = "UTC"
    reporting_lag_days: dict[Frequency, int] = Field(default_factory=dict)
    geographies: dict[ColumnName, GeographySpec] = Field(default_factory=dict)
    districts: ColumnName | None = None  # the geography of CitiStat district sessions and /districts/<key>

    @property
    def district_geography(self) -> GeographySpec | None:
        return self.geographies.get(self.districts) if self.districts else None


class GeographySpec(_InFolder):
    label: str
    boundaries: str | None = None  # GeoJSON path relative to the registry folder
    key_property: str = "id"

    @property
    def boundaries_path(self) -> Path | None:
        return self._folder / self.boundaries if self.boundaries else None


class Pillar(_Frozen):
    id: RefId
    name: str
    lead: str | None = None
    summary: str | None = None
    sort_order: int = 0


class Goal(_Frozen):
    id: RefId
    pillar: RefId
    title: str
    lead: str | None = None
    sort_order: int = 0
    initiatives: tuple[str, ...] = ()  # the plan's initiatives under the goal, in the plan's order


class Agency(_Frozen):
    id: RefId
    name: str
    public_name: str | None = None
    deputy_mayor_area: str | None = None

    @property
    def shown_name(self) -> str:
        """The name residents know it by."""
        return self.public_name or self.name


class Service(_Frozen):
    id: RefId
    name: str
    agency: RefId
    pillar: RefId | None = None
    service_type: str | None = None
    description: str | None = None


class Locate(_Frozen):
    """A column the loader fills, not the file: the area of ``geography`` whose boundary holds ``point``."""

    geography: ColumnName
    point: ColumnName  # a declared column holding "(latitude, longitude)" or "POINT (longitude latitude)"


class ColumnSpec(_Frozen):
    name: ColumnName
    type: ColumnType = ColumnType.TEXT
    csv: str | None = None  # header in the source file; defaults to ``name``
    datetime_format: str | None = None  # strptime format; ISO 8601 when absent
    transform: tuple[Transform, ...] = ()
    required: bool = False  # a row without it is rejected
    locate: Locate | None = None  # filled from a point and the city's boundaries (no header in the file)


class PeriodColumns(_Frozen):
    """Headers of a ``fiscal_period_columns`` file (the way budget books keep actuals): one row per key and fiscal
    year, a value column per quarter (``{n}`` is 1–4) and one for the year, each with an optional note column.

    Each filled cell becomes a record with the key, ``fiscal_year``, ``period`` (Q1–Q4, FY), ``grain``
    (fiscal_quarter, fiscal_year), ``period_start``, ``value`` and ``note``: the source declares those columns.
    """

    key: str
    fiscal_year: str = "fiscal_year"
    quarter: str = "q{n}_value"
    quarter_note: str | None = None
    year: str | None = None
    year_note: str | None = None

    @field_validator("quarter", "quarter_note")
    @classmethod
    def _numbered(cls, header: str | None) -> str | None:
        if header is not None and "{n}" not in header:
            raise ValueError(f"'{header}' needs {{n}} where the quarter's number goes (e.g. q{{n}}_value)")
        return header


class LoadSpec(_InFolder):
    file: str  # relative to the registry folder
    format: LoadFormat = LoadFormat.CSV
    period_columns: PeriodColumns | None = None  # the headers of a fiscal_period_columns file
    encoding: str = "utf-8"  # any codec Python knows: utf-8, cp1252, latin-1, utf-16 …
    max_rejected_share: float = Field(default=0.01, ge=0, le=1)  # more rejected rows than this fails the load

    @model_validator(mode="after")
    def _layout_declared(self) -> LoadSpec:
        if (self.format is LoadFormat.FISCAL_PERIOD_COLUMNS) != (self.period_columns is not None):
            raise ValueError("format fiscal_period_columns and period_columns go together")
        return self

    @property
    def path(self) -> Path:
        return self._folder / self.file

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"unknown encoding '{name}' (e.g. utf-8, cp1252, latin-1, utf-16)") from None
        return name


class ReportedLayout(_Frozen):
    """Columns of a reported-figures table: one row per measure and period."""

    key_column: ColumnName
    grain_column: ColumnName
    value_column: ColumnName
    note_column: ColumnName | None = None
    numerator_column: ColumnName | None = None  # a rate's or percent's parts, when the table keeps them
    denominator_column: ColumnName | None = None
    fiscal_year_column: ColumnName | None = None  # filled by data calls when declared ("2026")
    period_column: ColumnName | None = None  # filled by data calls when declared ("Q4", "FY")

    @property
    def named_columns(self) -> tuple[ColumnName, ...]:
        return tuple(c for c in (self.key_column, self.grain_column, self.value_column, self.note_column,
                                 self.numerator_column, self.denominator_column, self.fiscal_year_column,
                                 self.period_column) if c)


class SourceCoverage(_Frozen):
    """What a source holds when that is less than every record: a sample, or data from or up to a known day."""

    sample: str | None = None  # what the sample is, in words ("three days of requests, 1–3 October 2019")
    start: dt.date | None = None  # the first day it covers (default: the 1st of its time column's earliest month)
    end: dt.date | None = None  # the last day the source covers (default: the latest date in its time column)

    @model_validator(mode="after")
    def _start_before_end(self) -> SourceCoverage:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start ({self.start}) is after end ({self.end})")
        return self


class SourceSpec(_Frozen):
    id: RefId
    title: str
    table: ColumnName
    connection: str = "default"  # "default" = the value store's database, or any SQLAlchemy URL
    time_column: ColumnName
    geographies: dict[ColumnName, ColumnName] = Field(default_factory=dict)  # geography -> column
    columns: tuple[ColumnSpec, ...]
    reported: ReportedLayout | None = None
    data_call: bool = False  # the product owns the table: agencies report into it (its load file seeds it once)
    load: LoadSpec | None = None
    attribution: str | None = None
    coverage: SourceCoverage = SourceCoverage()

    def column(self, name: str) -> ColumnSpec | None:
        return next((c for c in self.columns if c.name == name), None)


class Filter(_Frozen):
    column: ColumnName
    op: FilterOp = FilterOp.EQ
    value: Any = None
    other_column: ColumnName | None = None  # compare with another column instead of a value


class Citywide(_Frozen):
    """The citywide value of a ``latest`` metric declared with areas."""

    method: CitywideMethod
    geography: ColumnName | None = None  # sum, weighted: the areas that make up the city (default: the first)
    weight_column: ColumnName | None = None  # weighted: the weight of each area's reading (e.g. population)
    filters: tuple[Filter, ...] = ()  # rows: the rows that hold the city's own figure


class Computation(_Frozen):
    kind: ComputationKind
    source: RefId
    key: str | None = None  # reported: the measure's key in the reported table
    aggregation: Aggregation | None = None
    value_column: ColumnName | None = None
    days_between: tuple[ColumnName, ColumnName] | None = None  # value = days from first to second column
    filters: tuple[Filter, ...] = ()
    numerator_filters: tuple[Filter, ...] = ()
    formula: str | None = None  # plain-language formula shown to users
    collection: str | None = None  # where and how the data is collected
    citywide: Citywide | None = None  # latest with areas: how the city's own value is obtained


class Target(_Frozen):
    fiscal_year: int = Field(ge=1900, le=2200)
    quarter: int | None = Field(default=None, ge=1, le=4)
    value: float
    note: str | None = None
    illustrative: bool = False  # set by us for demonstration, not adopted by the city


class Band(_Frozen):
    lower: float
    upper: float


class Baseline(_Frozen):
    value: float
    fiscal_year: int | None = None


class Acknowledged(_Frozen):
    """A validator finding kept on purpose (e.g. a data-entry error in the city's own records)."""

    rule: str
    note: str


class MetricSpec(_Frozen):
    id: MetricId
    title: str
    definition: str
    measure_type: MeasureType
    pillar: RefId | None = None
    goal: RefId | None = None
    agency: RefId
    services: tuple[RefId, ...] = ()
    format: FormatType | None = None
    unit: str | None = None
    direction: Direction = Direction.NONE
    band: Band | None = None
    frequency: Frequency
    grains: tuple[Grain, ...] = ()
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = ()
    visibility: Visibility = Visibility.INTERNAL
    geographies: tuple[ColumnName, ...] = ()
    owner_role: str | None = None
    period_total: PeriodTotal | None = None  # reported metrics; computed ones follow their aggregation
    computation: Computation
    notes: str | None = None
    acknowledged: tuple[Acknowledged, ...] = ()
    quality: QualitySpec = QualitySpec()
    impact: float = Field(default=1.0, gt=0, le=10)  # how much residents feel it: weighs its CitiStat severity

    @property
    def total(self) -> PeriodTotal:
        """How the year's figure relates to its parts (declared, else from the aggregation, else average)."""
        if self.period_total:
            return self.period_total
        return self.kind.period_total if self.kind else PeriodTotal.AVERAGE

    @property
    def kind(self) -> AggregationKind | None:
        """The aggregation kind of a computed metric (None for reported figures)."""
        return KINDS[self.computation.aggregation] if self.computation.aggregation else None

    @property
    def citywide_areas(self) -> str | None:
        """The geography whose areas make up the citywide value of a ``latest`` metric (sum or weighted)."""
        citywide = self.computation.citywide
        if citywide is None or citywide.method is CitywideMethod.ROWS:
            return None
        return citywide.geography or (self.geographies[0] if self.geographies else None)

    @property
    def additive(self) -> bool:
        """Whether the areas' values add up to the city's (counts, sums, stocks): a city target never fits an area."""
        if self.kind and self.kind.additive is not None:
            return self.kind.additive
        if self.computation.citywide is not None:
            return self.computation.citywide.method is CitywideMethod.SUM
        return self.format in (FormatType.COUNT, FormatType.CURRENCY)

    def annual_target(self, fiscal_year: int) -> Target | None:
        return next((t for t in self.targets if t.fiscal_year == fiscal_year and t.quarter is None), None)

    def quarter_target(self, fiscal_year: int, quarter: int) -> Target | None:
        return next((t for t in self.targets if t.fiscal_year == fiscal_year and t.quarter == quarter), None)


City.model_rebuild()
