"""Conversations: chat sessions with one owner at a time, deflection, hand-off and tickets with context."""
