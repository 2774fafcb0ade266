"""deskpilot: a self-hosted AI assistant for IT service desks."""

__version__ = "0.1.0"
