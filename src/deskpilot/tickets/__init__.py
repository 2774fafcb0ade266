"""Tickets: messages, lifecycle, SLA policies and clocks, escalation, routing."""
