"""Command Post: emergency command and resource dispatch on one live map."""

__version__ = "0.1.0"
