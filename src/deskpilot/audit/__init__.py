"""Append-only, hash-chained audit log of every change, and AI decision records."""
