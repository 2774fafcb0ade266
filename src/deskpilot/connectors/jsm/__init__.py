"""Jira Service Management (Jira Cloud REST v3, the Service Desk API, Confluence for the knowledge base)."""
