"""Users, roles, teams, API tokens, sessions, password hashing and permissions (RBAC)."""
