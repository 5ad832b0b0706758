"""Settings from the environment, read once at start-up.

Both services read the same variables (see README.md). Anything malformed stops the process at
start with a message naming the variable: a service that starts with a pool shape nobody asked for
is worse than one that does not start.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url

BEHAVIOURS = ("defaults", "plan")


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    service: str
    behaviour: str  # "defaults" (what the framework gives) or "plan" (what the test plan asks)
    database_url: URL
    host: str
    port: int
    pool_size: int
    max_overflow: int
    pool_timeout: float  # seconds, as SQLAlchemy takes it
    pool_max_waiting: int  # plan only: requests allowed to wait for a connection at once
    statement_timeout: float | None  # plan only: seconds PostgreSQL lets one statement run (None: no limit)
    jwt_secret: str = field(repr=False)  # never in logs or tracebacks
    application_name: str

    @property
    def plan(self) -> bool:
        return self.behaviour == "plan"

    @property
    def pool_capacity(self) -> int:
        """Connections the pool may have open at once."""
        return self.pool_size + self.max_overflow

    @classmethod
    def from_env(cls, service: str, default_port: int) -> "Settings":
        behaviour = _text("BEHAVIOUR", "plan")
        if behaviour not in BEHAVIOURS:
            raise SettingsError(f"BEHAVIOUR must be one of {', '.join(BEHAVIOURS)}, not {behaviour!r}")
        jwt_secret = os.environ.get("JWT_SECRET", "")
        if not jwt_secret:
            # No built-in default: a guessable signing key is how test secrets end up in production.
            raise SettingsError("JWT_SECRET is required (the HS256 key shared by auth and backend)")
        database_url = asyncpg_url(_text("DATABASE_URL", None))
        # asyncpg takes application_name only as a server setting, not from the URL: move it there.
        url_application_name = database_url.query.get("application_name")
        database_url = database_url.difference_update_query(["application_name"])
        return cls(
            service=service,
            behaviour=behaviour,
            database_url=database_url,
            host=_text("HOST", "127.0.0.1"),
            port=_number("PORT", default_port, int, minimum=0),
            # The pool defaults are SQLAlchemy's own (QueuePool: 5, 10, 30 s).
            pool_size=_number("POOL_SIZE", 5, int, minimum=1),
            max_overflow=_number("MAX_OVERFLOW", 10, int, minimum=0),
            pool_timeout=_number("POOL_TIMEOUT", 30.0, float, minimum=0),
            pool_max_waiting=_number("POOL_MAX_WAITING", 50, int, minimum=0),
            # A hung statement holds its connection for ever: the database cancels it after this.
            statement_timeout=_number("STATEMENT_TIMEOUT", 30.0, float, minimum=0) or None,
            jwt_secret=jwt_secret,
            application_name=_text("APPLICATION_NAME", url_application_name or f"python-sqlalchemy-{service}"),
        )


def asyncpg_url(raw: str) -> URL:
    """`postgresql://user:pass@host:port/db` as SQLAlchemy's asyncpg dialect wants it."""
    try:
        url = make_url(raw)
    except Exception as error:  # SQLAlchemy raises ArgumentError with the URL in it: keep it out
        raise SettingsError("DATABASE_URL is not a database URL") from error
    if url.drivername in ("postgresql", "postgres", "postgresql+asyncpg"):
        return url.set(drivername="postgresql+asyncpg")
    raise SettingsError(f"DATABASE_URL must be a postgresql:// URL, not {url.drivername}://")


def _text(name: str, default: str | None) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if default is None:
        raise SettingsError(f"{name} is required")
    return default


def _number(name: str, default, kind, minimum):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
        if not math.isfinite(value):  # float() also takes "nan" and "inf"
            raise ValueError(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a{'n integer' if kind is int else ' number'}, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {raw!r}")
    return value
