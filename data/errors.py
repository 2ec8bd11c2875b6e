"""The two refusals every read and write can give: the object is not there (for this viewer), or not allowed."""

from __future__ import annotations


class NotFound(LookupError):
    """The object does not exist, or this viewer may not know that it does."""


class Forbidden(PermissionError):
    """The viewer must sign in (anonymous) or lacks the role for this page."""
