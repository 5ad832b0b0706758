"""The database pool, and what this team adds around it.

SQLAlchemy's QueuePool (AsyncAdaptedQueuePool under asyncio) gives us a bounded pool: `pool_size`
connections kept, `max_overflow` more opened under load, and a request that finds all of them
checked out waits up to `pool_timeout` seconds, then gets `sqlalchemy.exc.TimeoutError`. Waiters are
served in arrival order: the pool hands connections out through an `asyncio.Queue`, whose getters
are woken first-in first-out (README.md, "Observed behaviour", shows it holding).

What the pool does not have: a count of the requests waiting for a connection, or a bound on them.
Under a flood every request waits its full `pool_timeout`, and nobody can see the queue. So in the
`plan` behaviour `Database.connection()` wraps the checkout:

* a request that finds the pool exhausted while `POOL_MAX_WAITING` requests already wait is refused
  at once (`TooManyWaiting`, 429) instead of joining the queue;
* the waiting requests are counted (a gauge and the health check read it);
* a checkout timeout becomes `DatabaseBusy` (503), and a database that cannot be reached (refused,
  "too many connections", connection lost) becomes `DatabaseUnavailable` (503): never a 500;
* acquires, timeouts, refusals, connection errors and the wait for each connection are counted for
  Prometheus.

In the `defaults` behaviour `Database.connection()` is plain `engine.connect()`: what a team gets by
following the FastAPI and SQLAlchemy tutorials.

Either way the connection goes back to the pool when the `async with` block ends, also when the
statement failed or the request was cancelled (SQLAlchemy shields the close from cancellation).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from .settings import Settings

log = logging.getLogger(__name__)

# How far back "recently" reaches for the health check (timeouts, connection errors).
RECENT_SECONDS = 5.0

# SQLSTATEs that mean "the database cannot take a connection now", not "this statement is wrong":
# 53300 too_many_connections (also the role's CONNECTION LIMIT), 57P01-57P03 shutting down or
# starting up, class 08 connection exceptions.
_UNAVAILABLE_SQLSTATES = {"53300", "57P01", "57P02", "57P03"}


class PoolPressure(Exception):
    """The database cannot take this request now; the client should try again later.

    Each kind says how to answer it: HTTP status, a stable `code` (also the last part of the problem
    `type` and the WebSocket error code) and a title.
    """

    status: int
    code: str
    title: str

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class DatabaseBusy(PoolPressure):
    """No pool connection became free within pool_timeout."""

    status = 503
    code = "database_busy"
    title = "Database busy"


class TooManyWaiting(PoolPressure):
    """The pool is exhausted and POOL_MAX_WAITING requests already wait: refused without waiting."""

    status = 429
    code = "too_many_waiting"
    title = "Too many requests waiting for the database"


class DatabaseUnavailable(PoolPressure):
    """The database refused or lost the connection (down, restarting, out of connections)."""

    status = 503
    code = "database_unavailable"
    title = "Database unavailable"


QUERY_CANCELED = "57014"


def is_statement_cancelled(error: BaseException) -> bool:
    """Whether PostgreSQL cancelled the statement (its statement_timeout): load, not a bug."""
    return (getattr(getattr(error, "orig", None), "sqlstate", None) or getattr(error, "sqlstate", None)) == QUERY_CANCELED


def is_connection_problem(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached, rather than that a statement failed."""
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:  # SQLAlchemy saw the connection die under a statement
            return True
        error = error.orig
    # Opening a connection, asyncpg raises its own errors, unwrapped by SQLAlchemy: OSError for
    # refused/reset/unreachable and for its connect timeout (TimeoutError is an OSError), or a
    # PostgresError carrying the server's SQLSTATE. SQLAlchemy's wrappers carry `sqlstate` too.
    if isinstance(error, OSError):
        return True
    sqlstate = getattr(error, "sqlstate", None) or ""
    return sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith("08")


class RecentEvents:
    """Timestamps of events in the last `window` seconds (timeouts, connection errors)."""

    def __init__(self, window: float = RECENT_SECONDS) -> None:
        self.window = window
        self._times: deque[float] = deque()

    def note(self) -> None:
        self._times.append(time.monotonic())

    def clear(self) -> None:
        self._times.clear()

    def count(self) -> int:
        horizon = time.monotonic() - self.window
        while self._times and self._times[0] < horizon:
            self._times.popleft()
        return len(self._times)


@dataclass(frozen=True)
class PoolSnapshot:
    """The pool at one moment, as the health check and the metrics read it."""

    size: int  # pool_size: connections kept open
    max_overflow: int
    max: int  # pool_size + max_overflow: connections open at most
    in_use: int  # checked out (includes a connection being opened for a request)
    idle: int  # checked in, ready
    overflow: int  # SQLAlchemy's overflow(): open connections beyond pool_size (negative below it)
    waiting: int  # plan only: requests waiting for a connection
    timeouts_recent: int  # plan only: checkout timeouts in the last RECENT_SECONDS
    connection_errors_recent: int  # plan only: connection errors in the last RECENT_SECONDS

    @property
    def open(self) -> int:
        return self.in_use + self.idle

    @property
    def utilization(self) -> float:
        return self.in_use / self.max if self.max else 0.0


class PoolCounters:
    """The plan's counters and wait histogram. The gauges are read from the pool at scrape time."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.acquires = Counter(
            "app_db_pool_acquires", "Connections handed out by the pool.", registry=registry
        )
        self.releases = Counter(
            "app_db_pool_releases", "Connections given back to the pool.", registry=registry
        )
        self.timeouts = Counter(
            "app_db_pool_timeouts",
            "Requests that waited pool_timeout seconds without getting a connection (answered 503).",
            registry=registry,
        )
        self.rejections = Counter(
            "app_db_pool_rejections",
            "Requests refused at once because POOL_MAX_WAITING requests already waited (answered 429).",
            registry=registry,
        )
        self.connection_errors = Counter(
            "app_db_pool_connection_errors",
            "Connections that could not be opened or were lost (refused, too many connections, reset).",
            registry=registry,
        )
        self.acquire_wait = Histogram(
            "app_db_pool_acquire_wait_seconds",
            "Time from asking the pool for a connection to getting one.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )


class Database:
    """The service's engine and pool; `connection()` is the only way handlers reach the database."""

    def __init__(self, settings: Settings, registry: CollectorRegistry) -> None:
        self.settings = settings
        connect_args = {
            # Every pool connection names the service in pg_stat_activity.application_name.
            "server_settings": {"application_name": settings.application_name},
        }
        if settings.plan:
            # asyncpg waits 60 s for a server that does not answer; a request should not wait on a
            # new connection longer than it would wait for a pooled one.
            connect_args["timeout"] = max(settings.pool_timeout, 1.0)
            if settings.statement_timeout:
                # Self-healing from hung statements: PostgreSQL cancels one that runs too long, and
                # its connection goes back to the pool.
                connect_args["server_settings"]["statement_timeout"] = str(round(settings.statement_timeout * 1000))
        self.engine = create_async_engine(
            settings.database_url,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            # plan: test each connection before handing it out, so connections the database
            # dropped (a restart) are replaced instead of failing the request that gets them.
            pool_pre_ping=settings.plan,
            connect_args=connect_args,
        )
        self.waiting = 0
        self._timeouts = RecentEvents()
        self._connection_errors = RecentEvents()
        self.counters = PoolCounters(registry) if settings.plan else None
        # A new connection that opens proves the database is reachable again: past connection
        # errors no longer make the health check critical (they would for RECENT_SECONDS).
        event.listen(self.engine.sync_engine, "connect", lambda *_: self._connection_errors.clear())

    @property
    def pool(self):
        return self.engine.sync_engine.pool

    @property
    def retry_after(self) -> int:
        """Whole seconds a client should wait before retrying after a 503."""
        return max(1, math.ceil(self.settings.pool_timeout))

    def connection(self):
        """`async with db.connection() as conn:` a pooled connection, returned when the block ends."""
        return self._guarded_connection() if self.settings.plan else self.engine.connect()

    def snapshot(self) -> PoolSnapshot:
        pool = self.pool
        return PoolSnapshot(
            size=pool.size(),
            max_overflow=self.settings.max_overflow,
            max=self.settings.pool_capacity,
            in_use=pool.checkedout(),
            idle=pool.checkedin(),
            overflow=pool.overflow(),
            waiting=self.waiting,
            timeouts_recent=self._timeouts.count(),
            connection_errors_recent=self._connection_errors.count(),
        )

    @asynccontextmanager
    async def _guarded_connection(self) -> AsyncIterator[AsyncConnection]:
        counters = self.counters
        # The pool decides synchronously, inside the `await` below and before its first suspension,
        # whether this checkout waits: when every connection it may open is checked out. And when
        # others already wait, a connection given back goes to the first of them, so this request
        # queues behind them. Either way it waits; only such requests are counted.
        must_wait = self.pool.checkedout() >= self.settings.pool_capacity or self.waiting > 0
        if must_wait and self.waiting >= self.settings.pool_max_waiting:
            counters.rejections.inc()
            raise TooManyWaiting(
                f"Every database connection ({self.settings.pool_capacity}) is in use and the queue for "
                f"one is full ({self.waiting} waiting, at most {self.settings.pool_max_waiting}). "
                f"Please retry in {_seconds(1)}.",
                retry_after=1,
            )
        started = time.monotonic()
        if must_wait:
            self.waiting += 1
        try:
            conn = await self.engine.connect()
        except sa_exc.TimeoutError as error:
            counters.timeouts.inc()
            self._timeouts.note()
            waited = time.monotonic() - started
            # A wait that ran out is a wait too: the histogram shows the queue's worst, not only its served.
            counters.acquire_wait.observe(waited)
            log.warning("no pool connection within %.2f s (%s)", waited, self.pool.status())
            raise DatabaseBusy(
                f"No database connection became free within {_seconds(self.settings.pool_timeout)}. "
                f"Please retry in {_seconds(self.retry_after)}.",
                retry_after=self.retry_after,
            ) from error
        except Exception as error:
            if not is_connection_problem(error):
                raise
            raise self._unavailable(error) from error
        finally:
            if must_wait:
                self.waiting -= 1
        counters.acquires.inc()
        counters.acquire_wait.observe(time.monotonic() - started)
        try:
            yield conn
        except sa_exc.DBAPIError as error:
            if not is_connection_problem(error):
                raise
            raise self._unavailable(error) from error
        finally:
            # Rolls back and returns the connection to the pool, whatever happened inside. Shielded
            # as SQLAlchemy's own `async with engine.connect()` does: a cancelled request (client
            # gone, server shutting down) still gives its connection back.
            await asyncio.shield(conn.close())
            counters.releases.inc()

    def _unavailable(self, error: BaseException) -> DatabaseUnavailable:
        self.counters.connection_errors.inc()
        self._connection_errors.note()
        log.warning("database unavailable: %s: %s", type(error).__name__, error)
        return DatabaseUnavailable(
            f"The database cannot take a connection right now. Please retry in {_seconds(self.retry_after)}.",
            retry_after=self.retry_after,
        )


def _seconds(value: float) -> str:
    return f"{value:g} second" if value == 1 else f"{value:g} seconds"
