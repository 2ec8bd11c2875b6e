"""Validation findings as data: what is wrong, where (file and line), and how serious."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"  # the registry cannot be published with it
    WARNING = "warning"  # worth a look; does not block


@dataclass(frozen=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Issue:
    """One finding. ``acknowledged`` holds the registry's note when the finding is kept on purpose; ``owner`` is
    the one object it belongs to (``("metric", "pm_1")``), or ``None`` when it concerns a whole file."""

    level: Level
    rule: str
    message: str
    location: Location
    acknowledged: str | None = None
    owner: tuple[str, str] | None = None

    @property
    def metric_id(self) -> str | None:
        """The metric the finding belongs to, if it belongs to one."""
        return self.owner[1] if self.owner and self.owner[0] == "metric" else None

    @property
    def blocks(self) -> bool:
        return self.level is Level.ERROR and self.acknowledged is None

    def __str__(self) -> str:
        suffix = f" (acknowledged: {self.acknowledged})" if self.acknowledged else ""
        return f"{self.location}: {self.level}[{self.rule}]: {self.message}{suffix}"


class RegistryError(Exception):
    """Raised when a file of the registry (or ``city.yaml``) is broken; the message lists the problems."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        blocking = [i for i in issues if i.blocks]
        lines = "\n".join(str(i) for i in blocking[:50])
        more = f"\n… and {len(blocking) - 50} more" if len(blocking) > 50 else ""
        super().__init__(f"The metric registry has {len(blocking)} problem(s) that stop everything:\n{lines}{more}")
