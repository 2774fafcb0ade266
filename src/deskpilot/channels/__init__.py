"""Channel adapters: thin faces that turn outside messages into calls on the desk's services."""
