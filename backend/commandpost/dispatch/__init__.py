"""Dispatch: response plans and checklists, team recommendations and assignments, material dispatch."""

from commandpost.dispatch import hooks as _hooks  # noqa: F401 - registers the session hooks
