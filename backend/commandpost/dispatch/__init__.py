"""Dispatch: response plans and checklists, team recommendations and assignments, material dispatch."""
