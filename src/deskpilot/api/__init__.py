"""The REST API and the pages' HTTP layer: parse, call a service, render."""
