"""The quality gate's settings in the registry: each rule's defaults, which a metric can tune or switch off."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Rule(BaseModel):
    """A quality rule's settings. In YAML, ``false`` switches the rule off and ``true`` keeps its defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True

    @model_validator(mode="before")
    @classmethod
    def _switch(cls, data: Any) -> Any:
        return {"enabled": data} if isinstance(data, bool) else data


class SwitchRule(_Rule):
    """A rule with nothing to tune."""


class ScaleRule(_Rule):
    """Percent values outside ``percent_range``; a target or baseline ``reference_ratio`` times off the values."""

    percent_range: tuple[float, float] = (0.0, 1.0)
    reference_ratio: float = Field(default=100.0, gt=1)

    @model_validator(mode="after")
    def _ordered(self) -> ScaleRule:
        if self.percent_range[0] >= self.percent_range[1]:
            raise ValueError("percent_range needs its lower bound first")
        return self


class ImpossibleRule(_Rule):
    """Not a number and infinity always; negative counts; fractional counts where a count must be whole."""

    negative_counts: bool = True
    whole_counts: bool | None = None  # None: only where the count is ours (computed count aggregations)


class NotReportedRule(_Rule):
    """Exactly zero after ``min_run`` non-zero values (for counts, whose median is at least ``min_count``)."""

    min_run: int = Field(default=3, ge=1)
    min_count: float = Field(default=10.0, ge=0)


class OutlierRule(_Rule):
    """Outside median ± ``k`` robust deviations of the ``window`` values around it, ``min_ratio`` times off the median.

    Counts whose median is under ``min_count`` are not judged: small counts swing widely on their own.
    """

    k: float = Field(default=5.0, gt=0)
    min_ratio: float = Field(default=5.0, ge=1)
    min_count: float = Field(default=10.0, ge=0)
    window: int = Field(default=12, ge=2)
    min_history: int = Field(default=6, ge=2)


class QualitySpec(BaseModel):
    """The quality gate's rules for one metric (``metrics.quality``): defaults, tuned or switched off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scale: ScaleRule = ScaleRule()
    impossible: ImpossibleRule = ImpossibleRule()
    not_reported: NotReportedRule = NotReportedRule()
    outlier: OutlierRule = OutlierRule()
    partial: SwitchRule = SwitchRule()
    incomplete: SwitchRule = SwitchRule()
    sample: SwitchRule = SwitchRule()
