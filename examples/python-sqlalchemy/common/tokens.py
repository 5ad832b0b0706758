"""HS256 access tokens: issued by the auth service, verified locally by both services.

The key is shared (`JWT_SECRET`), so the backend checks a token without calling the auth service: a
backend whose pool is exhausted still authenticates WebSocket clients, and an auth service under
pressure does not take the backend down with it.
"""

from __future__ import annotations

import time

import jwt

ALGORITHM = "HS256"
ACCESS_TOKEN_SECONDS = 15 * 60


def issue(subject: str, secret: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + ACCESS_TOKEN_SECONDS}, secret, algorithm=ALGORITHM)


def verify(token: str | None, secret: str) -> dict | None:
    """The token's claims, or None when it is missing, malformed, expired or not ours.

    `algorithms` is pinned: a token signed with another algorithm, or with "alg": "none", is refused
    instead of being trusted on its own word.
    """
    if not token:
        return None
    try:
        return jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.InvalidTokenError:
        return None


def bearer(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
