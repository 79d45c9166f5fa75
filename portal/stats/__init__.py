"""Transparency figures kept as roll-ups maintained as cases change."""
