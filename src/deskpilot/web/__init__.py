"""Server-rendered pages: the self-service portal, the staff queue, sign-in, and the shared layout."""
