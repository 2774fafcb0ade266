"""Runbook actions: typed, found through the `deskpilot.runbook_actions` entry point group."""
