"""The web chat channel: the requester's chat with the assistant (`chat.py`), the agents' live chats
(`chat_agent.py`), what both show of a conversation (`chat_views.py`), and the `Channel` adapter (`channel.py`)."""
