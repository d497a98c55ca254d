"""The one error root of govops: library code raises these, only the CLI picks exit codes."""

from __future__ import annotations


class GovopsError(Exception):
    """An expected failure a user can fix; `str()` is one clear line (or several, one per problem)."""

    exit_code = 2


class BadInput(GovopsError):
    """The user's input (files, flags, names) is wrong: exit 2."""

    exit_code = 2


class CheckFailed(GovopsError):
    """A check, drill or rollout ran and failed: exit 1."""

    exit_code = 1


class NotAllowed(BadInput):
    """The acting operator lacks the role a command needs (a refusal): exit 2."""

    exit_code = 2
