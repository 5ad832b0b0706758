"""Auth service: sign-in and "who am I", on its own database role and its own pool.

    JWT_SECRET=... DATABASE_URL=postgresql://auth:...@127.0.0.1:5432/auth /usr/bin/python3 auth.py

It shares nothing with the backend at run time but the token key: its own process, pool, role and
database, so exhausting the backend's pool leaves sign-in working. README.md lists every setting.
"""

import common.requirements  # noqa: F401  (first: names any missing package)
from fastapi import Header, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import Column, Integer, MetaData, Table, Text, select
from sqlalchemy.engine import Row
from starlette.concurrency import run_in_threadpool

from common import tokens
from common.passwords import DUMMY_HASH, verify_password
from common.pool import Database
from common.settings import Settings
from common.web import metrics_registry, serve, service_app

settings = Settings.from_env("auth", default_port=8001)
registry = metrics_registry()
db = Database(settings, registry)
app = service_app(
    settings,
    db,
    registry,
    title="Auth (python-sqlalchemy example)",
    description=f"Pool behaviour: {settings.behaviour}",
)

# schema/auth.sql creates the table; this only describes it for queries.
users = Table(
    "users",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("username", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
)


class Credentials(BaseModel):
    username: str
    password: str


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = tokens.ACCESS_TOKEN_SECONDS


class User(BaseModel):
    id: int
    username: str
    display_name: str


async def signed_in(credentials: Credentials, row: Row | None) -> AccessToken:
    """The password checked against the user's hash (or a dummy one, as slow), in a worker thread:
    ~0.2 s of CPU that must not hold the event loop."""
    stored = row.password_hash if row else DUMMY_HASH
    valid = await run_in_threadpool(verify_password, credentials.password, stored)
    if not (row and valid):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong username or password.")
    return AccessToken(access_token=tokens.issue(credentials.username, settings.jwt_secret))


@app.post("/login", response_model=AccessToken, tags=["auth"])
async def login(credentials: Credentials) -> AccessToken:
    async with db.connection() as conn:
        row = (
            await conn.execute(select(users.c.password_hash).where(users.c.username == credentials.username))
        ).first()
        if not settings.plan:
            # The first version, kept in `defaults`: the password is checked inside the block, so every
            # login keeps the connection through its hash and a login storm queues for it.
            return await signed_in(credentials, row)
    # `plan`: hashed once the connection is back in the pool.
    return await signed_in(credentials, row)


@app.get("/me", response_model=User, tags=["auth"])
async def me(authorization: str | None = Header(None)) -> User:
    token = tokens.bearer(authorization)
    claims = tokens.verify(token, settings.jwt_secret)
    if claims is None:
        # RFC 6750: say which scheme to use, and whether the token given was the problem.
        challenge = 'Bearer error="invalid_token"' if token else "Bearer"
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "A valid bearer token is required.", {"WWW-Authenticate": challenge})
    async with db.connection() as conn:
        row = (
            await conn.execute(select(users.c.id, users.c.username, users.c.display_name).where(users.c.username == claims["sub"]))
        ).first()
    if row is None:  # signed by us, but the user has gone since
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "The token's user does not exist.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return User(**row._mapping)


if __name__ == "__main__":
    serve(app, settings)
