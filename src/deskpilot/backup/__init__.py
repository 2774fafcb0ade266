"""Backup and restore of a whole desk: the database and DATA_DIR, in one checked archive."""
