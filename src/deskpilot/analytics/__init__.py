"""KPIs, trends, drift and their CSV export: the numbers that show whether the AI helps."""
