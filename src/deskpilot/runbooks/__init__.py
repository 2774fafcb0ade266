"""Runbooks: versioned, approved definitions whose steps run typed actions, with dry-run and rollback."""
