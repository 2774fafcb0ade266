"""ServiceNow Table API."""
