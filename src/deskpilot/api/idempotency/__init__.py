"""`Idempotency-Key` on every POST: a retried request is answered with the first response, done once."""
