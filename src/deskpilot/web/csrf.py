"""CSRF tokens for page forms.

A token is an HMAC, under `Settings.secret_key`, of a secret the browser holds in an HttpOnly cookie: the web
session secret once signed in, or a throw-away pre-session secret on the sign-in form. Another site can make
the browser send the cookie but can neither read it nor compute the token, so a forged form is refused. No
token is stored: it is recomputed per request, and dies with the session it is bound to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FIELD = "csrf_token"
PRESESSION_COOKIE = "deskpilot_presession"
REJECTED = ("This form could not be accepted: its security token is missing or out of date. This happens when "
            "a page stayed open across a sign-out or a new sign-in. Go back, reload the page and submit again.")


def new_presession_secret() -> str:
    return secrets.token_urlsafe(32)


def token_for(*, secret_key: str, binding: str) -> str:
    """The token that forms of the browser holding `binding` (a cookie secret) must send back."""
    return hmac.new(secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def is_valid(*, secret_key: str, binding: str | None, submitted: str) -> bool:
    """Whether `submitted` is the token for `binding`; a missing binding or token is never valid."""
    if not binding or not submitted:
        return False
    expected = token_for(secret_key=secret_key, binding=binding)
    # Bytes, because compare_digest refuses non-ASCII str and a forged field may hold anything.
    return hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace"))
