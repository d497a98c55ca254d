"""The lab's error type."""

from __future__ import annotations

from govops.errors import GovopsError


class LabError(GovopsError):
    """An expected lab failure (not root, a tool missing, a name taken, a daemon that will not
    start). `str()` is one line naming the thing and the fix."""
