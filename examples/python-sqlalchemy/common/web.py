"""Web plumbing both services share: error responses, `GET /health`, `GET /metrics`.

Errors this team writes are RFC 9457 problem details (`application/problem+json`): `type`, `title`,
`status`, `detail` (a sentence for a person), `instance` (the path), and in our own snake_case the
extensions `retry_after` (whole seconds, the same as the `Retry-After` header) and `errors` (for
invalid input). Pool pressure (503, 429) and database errors (500) get their own `type`s only in the
`plan` behaviour; in `defaults` they reach Starlette's last-resort handler: a plain-text 500.

Neither `/health` nor `/metrics` touches the database: they read the pool's own counters, so they
answer at once when every connection is taken, which is exactly when they are needed.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import uvicorn
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .pool import RECENT_SECONDS, Database, PoolPressure, PoolSnapshot, is_statement_cancelled
from .settings import Settings

log = logging.getLogger(__name__)

PROBLEM_TYPES = "https://example.test/problems/"  # + code; a real team points this at its docs
WARNING_UTILIZATION = 0.8


# --- problem details -------------------------------------------------------------------------------


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    headers: dict | None = None,
    **extensions,
) -> ProblemResponse:
    """An RFC 9457 problem. Without a `code` the type is `about:blank` and the title the status phrase."""
    body = {
        "type": PROBLEM_TYPES + code if code else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return ProblemResponse(body, status_code=status, headers=headers)


async def _pool_pressure(request: Request, error: PoolPressure) -> ProblemResponse:
    return problem(
        error.status,
        error.detail,
        code=error.code,
        title=error.title,
        instance=request.url.path,
        headers={"Retry-After": str(error.retry_after)},
        retry_after=error.retry_after,
    )


async def _database_error(request: Request, error: DBAPIError) -> ProblemResponse:
    if is_statement_cancelled(error):
        # The statement ran past the statement timeout and PostgreSQL ended it: the database was
        # too busy for it, so the client may try again soon.
        return problem(
            503,
            "The database cancelled a statement that ran too long. Please retry in 1 second.",
            code="statement_cancelled",
            title="Statement cancelled",
            instance=request.url.path,
            headers={"Retry-After": "1"},
            retry_after=1,
        )
    # A statement that failed inside the database: our bug, not load. Logged in full, answered
    # without the SQL or the database's message.
    log.error("database error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        500,
        "The database could not complete this request.",
        code="database_error",
        title="Database error",
        instance=request.url.path,
    )


async def _http_error(request: Request, error: StarletteHTTPException) -> ProblemResponse:
    return problem(error.status_code, str(error.detail), instance=request.url.path, headers=error.headers)


async def _invalid_request(request: Request, error: RequestValidationError) -> ProblemResponse:
    return problem(
        422,
        "The request's parameters or body are not valid.",
        instance=request.url.path,
        errors=jsonable_encoder(error.errors()),
    )


# --- health ----------------------------------------------------------------------------------------


def assess(pool: PoolSnapshot) -> tuple[str, list[str]]:
    """`ok`, `warning` or `critical`, with the reasons, from the pool alone."""
    window = f"in the last {RECENT_SECONDS:g} s"
    critical = []
    if pool.waiting:
        critical.append(f"{_count(pool.waiting, 'request')} waiting for a connection")
    if pool.in_use >= pool.max and pool.timeouts_recent:
        critical.append(f"pool fully used and {_count(pool.timeouts_recent, 'checkout timeout')} {window}")
    if pool.connection_errors_recent:
        critical.append(f"{_count(pool.connection_errors_recent, 'connection error')} {window}: database unreachable")
    if critical:
        return "critical", critical
    warning = []
    if pool.utilization >= WARNING_UTILIZATION:
        warning.append(f"{pool.utilization:.0%} of the pool in use (warning from {WARNING_UTILIZATION:.0%})")
    if pool.timeouts_recent:
        warning.append(f"{_count(pool.timeouts_recent, 'checkout timeout')} {window}")
    return ("warning", warning) if warning else ("ok", [])


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def health_body(pool: PoolSnapshot) -> tuple[int, dict]:
    status, reasons = assess(pool)
    body = {
        "status": status,
        "reasons": reasons,
        "pool": {
            "size": pool.size,
            "max_overflow": pool.max_overflow,
            "max": pool.max,
            "in_use": pool.in_use,
            "idle": pool.idle,
            "open": pool.open,
            "waiting": pool.waiting,
            "utilization": round(pool.utilization, 3),
        },
        "recent": {
            "window_seconds": RECENT_SECONDS,
            "timeouts": pool.timeouts_recent,
            "connection_errors": pool.connection_errors_recent,
        },
    }
    # 503 only for critical: a load balancer should stop sending here, not for a busy pool.
    return (503 if status == "critical" else 200), body


# --- metrics ---------------------------------------------------------------------------------------


class PoolGauges:
    """The pool's gauges, read from the pool at scrape time (never stale, nothing to keep in sync)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self):
        pool = self.db.snapshot()
        # What SQLAlchemy's pool itself can tell (its status(): size, checked out, checked in, overflow).
        yield _gauge("app_db_pool_size", "Connections the pool keeps open (pool_size).", pool.size)
        yield _gauge("app_db_pool_connections_in_use", "Connections checked out by requests.", pool.in_use)
        yield _gauge("app_db_pool_connections_idle", "Open connections ready in the pool.", pool.idle)
        yield _gauge(
            "app_db_pool_overflow",
            "SQLAlchemy's overflow(): open connections beyond pool_size (negative while fewer are open).",
            pool.overflow,
        )
        if not self.db.settings.plan:
            return
        yield _gauge("app_db_pool_connections_open", "Open connections, in use or idle.", pool.open)
        yield _gauge("app_db_pool_connections_max", "Connections the pool may open (pool_size + max_overflow).", pool.max)
        yield _gauge("app_db_pool_requests_waiting", "Requests waiting for a connection.", pool.waiting)
        yield _gauge("app_db_pool_utilization_ratio", "Connections in use / connections the pool may open.", pool.utilization)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def metrics_registry() -> CollectorRegistry:
    """A registry of our own (not the global one) with the usual process and Python collectors."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


# --- the application -------------------------------------------------------------------------------


def service_app(settings: Settings, db: Database, registry: CollectorRegistry, **fastapi_options) -> FastAPI:
    """A FastAPI app with the shared error handling, `/health`, `/metrics` and pool shutdown."""
    app = FastAPI(**fastapi_options)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    if settings.plan:
        app.add_exception_handler(PoolPressure, _pool_pressure)
        app.add_exception_handler(DBAPIError, _database_error)
    registry.register(PoolGauges(db))

    @app.get("/health", tags=["operations"])
    async def health() -> Response:
        if not settings.plan:
            return JSONResponse({"status": "ok"})
        status_code, body = health_body(db.snapshot())
        return JSONResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})

    @app.get("/metrics", tags=["operations"])
    async def metrics() -> Response:
        # As a header, not media_type: Starlette would append a second "; charset=utf-8".
        return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.on_event("shutdown")
    async def close_pool() -> None:
        await db.engine.dispose()

    return app


def serve(app: FastAPI, settings: Settings) -> None:
    """Runs the app with uvicorn, its own log lines and ours in one format on stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # log_config=None: uvicorn keeps its hands off logging, so its lines go through the root logger once.
    uvicorn.run(app, host=settings.host, port=settings.port, ws="websockets", log_config=None)
