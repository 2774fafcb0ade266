"""Triage: language, PII redaction, category, priority, queue, sentiment and SLA suggestions."""
