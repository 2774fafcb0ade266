"""Governance: replay sets and the gate in front of every AI change."""
