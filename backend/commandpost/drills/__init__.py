"""Drill exercises: scenario files played on the real map, each on its own clock, in isolation."""
