"""Freshservice (API v2)."""
