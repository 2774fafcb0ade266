"""Zendesk Support and Help Center."""
