"""ITSM connectors: import, overlay and sync with ServiceNow, Jira Service Management, Zendesk, Freshservice."""
