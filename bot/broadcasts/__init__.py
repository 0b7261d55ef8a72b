"""Broadcast services: the rows that make sending resumable and once-only."""
