"""The one answer to "may this viewer see or do this": every store, the read gate and the pages ask a ``Viewer``.

Roles: anonymous visitors see public measures; the Mayor's office (admins, who also manage, and city-wide
viewers, read-only) sees everything; an agency user sees its agencies' internal measures and what concerns
them. Each rule is one method here; the data layer applies them to every read and write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from data.models import Role
from metrics.spec import MetricSpec, Visibility


@dataclass(frozen=True)
class Viewer:
    role: Role = Role.ANONYMOUS
    user_id: str | None = None
    agencies: frozenset[str] = field(default_factory=frozenset)

    def can_see(self, metric: MetricSpec) -> bool:
        if metric.visibility is Visibility.PUBLIC:
            return True
        return self.city_wide or (self.role is Role.AGENCY and metric.agency in self.agencies)

    @property
    def internal(self) -> bool:
        return self.role is not Role.ANONYMOUS

    def can_comment_on(self, metric: MetricSpec) -> bool:
        """Commentary: admins on any metric, agency users on their agencies' metrics, nobody else."""
        return self.role is Role.ADMIN or (self.role is Role.AGENCY and metric.agency in self.agencies)

    def can_read_internal_commentary(self, metric: MetricSpec) -> bool:
        """Internal commentary is for the metric's own agency and the Mayor's office (admins and city-wide
        viewers), not for other agencies' staff."""
        return self.role is Role.VIEWER or self.can_comment_on(metric)

    def can_withdraw_comment(self, metric: MetricSpec, *, by_agency: bool) -> bool:
        """The Mayor's office withdraws any comment; an agency its own agency's comments on its metrics."""
        return self.role is Role.ADMIN or (by_agency and self.can_comment_on(metric))

    def can_see_health_of(self, metric: MetricSpec) -> bool:
        """Data health (refresh runs, loads, flagged values): the Mayor's office all, an agency its own metrics."""
        return self.internal and (self.city_wide or metric.agency in self.agencies)

    def can_see_session(self, subject_agency: str | None, follow_up_agencies: Iterable[str]) -> bool:
        """A CitiStat session: the Mayor's office every one, an agency those on it or owing it a follow-up."""
        if self.city_wide:
            return True
        return self.role is Role.AGENCY and (subject_agency in self.agencies
                                             or bool(self.agencies.intersection(follow_up_agencies)))

    def can_see_follow_up(self, owner_agency: str, subject_agency: str | None) -> bool:
        """A follow-up: the Mayor's office every one, an agency those it owes or asked in its own session."""
        return self.can_see_session(subject_agency, [owner_agency])

    def can_report_on(self, owner_agency: str) -> bool:
        """Progress on a follow-up: its owning agency and the performance team."""
        return self.can_manage or (self.role is Role.AGENCY and owner_agency in self.agencies)

    def can_see_reports_of(self, agency: str) -> bool:
        """A data call's entries: the Mayor's office every agency's, an agency its own."""
        return self.city_wide or (self.role is Role.AGENCY and agency in self.agencies)

    @property
    def enters_figures(self) -> bool:
        """Whether the viewer enters figures for any agency: agency users, and the performance team."""
        return self.can_manage or self.role is Role.AGENCY

    def can_enter_for(self, agency: str) -> bool:
        """Entering and submitting figures and proposing targets: the agency, and the performance team on its
        behalf; city-wide viewers only read."""
        return self.can_report_on(agency)

    @property
    def can_review_reports(self) -> bool:
        """Opening data calls, accepting or returning figures, approving targets: the performance team."""
        return self.can_manage

    @property
    def city_wide(self) -> bool:
        """The Mayor's office (admins and city-wide viewers) sees every agency's internal data."""
        return self.role in (Role.ADMIN, Role.VIEWER)

    @property
    def can_manage(self) -> bool:
        """Users, targets and CitiStat sessions are the admins' (the Mayor's office) to change."""
        return self.role is Role.ADMIN

    @property
    def scope(self) -> tuple[str, ...]:
        """What this viewer's pages show, as a cache key: viewers with equal scopes get the same pages."""
        if self.role is Role.AGENCY:
            return ("agency", *sorted(self.agencies))
        return (self.role.value,)

    @property
    def data_scope(self) -> tuple[str, ...]:
        """What data this viewer sees, as a cache key: the Mayor's office's admins and viewers see the same data
        (their pages differ: ``scope``)."""
        return ("city-wide",) if self.city_wide else self.scope


ANONYMOUS = Viewer()
CITY_WIDE = Viewer(Role.VIEWER)  # the Mayor's office's view of the data, for building page data ahead of requests
