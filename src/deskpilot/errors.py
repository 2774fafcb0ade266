"""Typed domain errors. The API maps each to a status code and a JSON body a user can act on."""


class DomainError(Exception):
    """Base of every error a user may see; `message` says what went wrong and what to do."""

    code = "error"
    status_code = 400

    def __init__(self, message: str, *, recorded: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # A refusal that counted an attempt or wrote an audit row: the unit of work commits that record
        # instead of rolling it back, or a failing request could be retried without limit and unseen.
        self.recorded = recorded


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Conflict(DomainError):
    code = "conflict"
    status_code = 409


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status_code = 401


class InvalidInput(DomainError):
    code = "invalid_input"
    status_code = 422


class TooLarge(DomainError):
    code = "too_large"
    status_code = 413


class RateLimited(DomainError):
    code = "rate_limited"
    status_code = 429


class ProviderError(DomainError):
    """A model, index or external provider failed; `retryable` says whether trying again may help."""

    code = "provider_error"
    status_code = 503

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
