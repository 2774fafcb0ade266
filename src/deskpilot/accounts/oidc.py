"""The OpenID Connect relying party: authorization code flow with PKCE, and an ID token checked against the
provider's published keys (signature, issuer, audience, expiry, nonce) before anyone is let in."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from deskpilot.accounts.sso import Identity
from deskpilot.config import Settings
from deskpilot.errors import NotAuthenticated, ProviderError

ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A sign-in under way: where to send the browser, and what the callback must find again."""

    url: str
    state: str
    nonce: str
    verifier: str


def is_configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _get(settings: Settings, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=settings.oidc_timeout_seconds, **kwargs)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderError(f"The identity provider did not answer at {url} ({exc}); try again in a moment, or "
                            "ask an administrator to check DESKPILOT_OIDC_ISSUER.") from exc
    return body


def discover(settings: Settings) -> Provider:
    """The provider's endpoints from its discovery document, which must name the configured issuer."""
    issuer = settings.oidc_issuer.rstrip("/")
    document = _get(settings, f"{issuer}/.well-known/openid-configuration")
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderError(f"The discovery document at {issuer} names the issuer {document.get('issuer')!r}; "
                            "DESKPILOT_OIDC_ISSUER must be exactly the provider's issuer.")
    try:
        return Provider(issuer=str(document["issuer"]), authorization_endpoint=document["authorization_endpoint"],
                        token_endpoint=document["token_endpoint"], jwks_uri=document["jwks_uri"],
                        userinfo_endpoint=document.get("userinfo_endpoint"),
                        end_session_endpoint=document.get("end_session_endpoint"))
    except KeyError as exc:
        raise ProviderError(f"The discovery document at {issuer} lacks {exc.args[0]}.") from exc


def start(settings: Settings, provider: Provider, *, redirect_uri: str) -> Attempt:
    """A new attempt: fresh state, nonce and PKCE verifier (S256), and the authorization URL carrying them."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode({"response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": redirect_uri,
                       "scope": settings.oidc_scopes, "state": state, "nonce": nonce, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return Attempt(url=f"{provider.authorization_endpoint}{separator}{query}", state=state, nonce=nonce,
                   verifier=verifier)


def finish(settings: Settings, provider: Provider, *, code: str, verifier: str, nonce: str,
           redirect_uri: str) -> Identity:
    """Exchange the code (with the PKCE verifier) and check the ID token; the groups come from the token or,
    when the provider keeps them there, from the userinfo endpoint."""
    try:
        response = httpx.post(provider.token_endpoint, timeout=settings.oidc_timeout_seconds,
                              auth=(settings.oidc_client_id, settings.oidc_client_secret),
                              data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                    "code_verifier": verifier})
    except httpx.HTTPError as exc:
        raise ProviderError(f"The identity provider's token endpoint did not answer ({exc}); try again.") from exc
    if response.status_code != 200:
        raise NotAuthenticated(f"The identity provider refused the sign-in ({_error(response)}); start again.")
    tokens = response.json()
    claims = _checked_claims(settings, provider, id_token=str(tokens.get("id_token", "")), nonce=nonce)
    groups = claims.get(settings.oidc_groups_claim)
    if groups is None and provider.userinfo_endpoint and tokens.get("access_token"):
        info = _get(settings, provider.userinfo_endpoint,
                    headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if info.get("sub") == claims["sub"]:
            claims = info | claims
            groups = info.get(settings.oidc_groups_claim)
    if claims.get("email") and claims.get("email_verified") is False:
        raise NotAuthenticated("The identity provider says this e-mail address is not verified.")
    return Identity(issuer=provider.issuer, subject=str(claims["sub"]), email=str(claims.get("email", "")).lower(),
                    full_name=str(claims.get("name", "")), preferred_username=str(claims.get("preferred_username", "")),
                    groups=[str(group) for group in groups] if isinstance(groups, list) else [])


def _checked_claims(settings: Settings, provider: Provider, *, id_token: str, nonce: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(_get(settings, provider.jwks_uri))  # type: ignore[arg-type]
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True}, sub={"essential": True}, nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise NotAuthenticated(f"The identity provider's ID token did not check out ({exc}); start again.") from exc
    return dict(token.claims)


def _error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(body.get("error_description") or body.get("error") or f"HTTP {response.status_code}")


def sign_out_url(provider: Provider, settings: Settings, *, after: str) -> str | None:
    """Where to send the browser to end the provider's session too, when it publishes an end-session endpoint."""
    if not provider.end_session_endpoint:
        return None
    query = urlencode({"client_id": settings.oidc_client_id, "post_logout_redirect_uri": after})
    return f"{provider.end_session_endpoint}?{query}"
