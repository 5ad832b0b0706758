"""Backend service: items, reports and a WebSocket, on its own database role and its own pool.

    JWT_SECRET=... DATABASE_URL=postgresql://backend:...@127.0.0.1:5432/backend /usr/bin/python3 backend.py

README.md lists every setting and endpoint. The pool behaviour (`BEHAVIOUR=defaults|plan`) lives in
common/pool.py; this module only says what each endpoint reads.
"""

import common.requirements  # noqa: F401  (first: names any missing package)
import json
import logging

from fastapi import HTTPException, Query, WebSocket, WebSocketDisconnect, status
from sqlalchemy import Column, Integer, MetaData, Table, Text, select, text
from sqlalchemy.exc import DBAPIError

from common import tokens
from common.pool import Database, PoolPressure, is_statement_cancelled
from common.settings import Settings
from common.web import metrics_registry, serve, service_app

log = logging.getLogger("backend")
settings = Settings.from_env("backend", default_port=8000)
registry = metrics_registry()
db = Database(settings, registry)
app = service_app(
    settings,
    db,
    registry,
    title="Backend (python-sqlalchemy example)",
    description=f"Pool behaviour: {settings.behaviour}",
)

# schema/backend.sql creates the table; this only describes it for queries.
items = Table(
    "items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("price_cents", Integer, nullable=False),
)

MAX_REPORT_SECONDS = 300.0


async def read_item(item_id: int) -> dict | None:
    async with db.connection() as conn:
        row = (await conn.execute(select(items).where(items.c.id == item_id))).mappings().first()
    return dict(row) if row else None


async def run_slow_report(seconds: float) -> dict:
    # The connection is held inside the database for the whole sleep, as a slow report would hold it.
    async with db.connection() as conn:
        await conn.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": seconds})
    return {"slept_seconds": seconds}


@app.get("/items/{item_id}", tags=["items"])
async def get_item(item_id: int) -> dict:
    """One short query: the item, or 404."""
    item = await read_item(item_id)
    if item is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Item {item_id} does not exist.")
    return item


@app.get("/reports/slow", tags=["reports"])
async def slow_report(seconds: float = Query(1.0, ge=0, le=MAX_REPORT_SECONDS)) -> dict:
    """Holds one connection for `seconds` (decimals allowed) inside the database."""
    return await run_slow_report(seconds)


@app.get("/reports/broken", tags=["reports"])
async def broken_report() -> dict:
    """A report whose statement fails inside the database (division by zero, SQLSTATE 22012).

    Its connection goes back to the pool all the same: `db.connection()` closes it on the way out.
    """
    async with db.connection() as conn:
        ratio = (await conn.execute(text("SELECT 1 / (count(*) - count(*)) FROM items"))).scalar_one()
    return {"ratio": ratio}


# --- WebSocket -------------------------------------------------------------------------------------
#
# In:  {"request_id": "r1", "action": "get_item", "item_id": 1}
#      {"request_id": "r2", "action": "slow_report", "seconds": 2}
#      {"request_id": "r3", "action": "ping"}
# Out: {"request_id": "r1", "item": {...}} | {"request_id": "r2", "report": {...}} | {"request_id": "r3", "pong": true}
#      {"request_id": "r1", "error": {"code": "database_busy", "status": 503, "retry_after": 5, "message": "..."}}
#
# Messages are answered one at a time, in order. An error answers that message only: the socket
# stays open (in `plan`; in `defaults` a pool timeout escapes and ends the connection).


@app.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket, token: str | None = None) -> None:
    token = token or tokens.bearer(websocket.headers.get("authorization"))
    claims = tokens.verify(token, settings.jwt_secret)
    if claims is None:
        # Closing before accepting refuses the upgrade: uvicorn answers the handshake with 403.
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    try:
        while True:
            await websocket.send_json(await answer(await websocket.receive_text()))
    except WebSocketDisconnect:
        pass


async def answer(raw: str) -> dict:
    try:
        message = json.loads(raw)
    except ValueError:
        message = None
    if not isinstance(message, dict):
        return error_frame(None, "bad_request", 400, "A message is a JSON object with an action.")
    request_id = message.get("request_id")
    action = message.get("action")
    try:
        if action == "ping":
            return {"request_id": request_id, "pong": True}
        if action == "get_item":
            item_id = message.get("item_id")
            if type(item_id) is not int:
                return error_frame(request_id, "bad_request", 400, "get_item needs an integer item_id.")
            item = await read_item(item_id)
            if item is None:
                return error_frame(request_id, "not_found", 404, f"Item {item_id} does not exist.")
            return {"request_id": request_id, "item": item}
        if action == "slow_report":
            seconds = message.get("seconds", 1)
            if type(seconds) not in (int, float) or not 0 <= seconds <= MAX_REPORT_SECONDS:
                return error_frame(request_id, "bad_request", 400, f"seconds must be 0 to {MAX_REPORT_SECONDS:g}.")
            return {"request_id": request_id, "report": await run_slow_report(seconds)}
        return error_frame(request_id, "unknown_action", 400, f"Unknown action {action!r}.")
    except PoolPressure as pressure:
        return error_frame(request_id, pressure.code, pressure.status, pressure.detail, pressure.retry_after)
    except DBAPIError as error:
        if not settings.plan:
            raise
        if is_statement_cancelled(error):
            return error_frame(request_id, "statement_cancelled", 503, "The database cancelled a statement that ran too long. Please retry in 1 second.", 1)
        log.exception("database error on WebSocket action %r", action)
        return error_frame(request_id, "database_error", 500, "The database could not complete this request.")


def error_frame(request_id, code: str, status_code: int, message: str, retry_after: int | None = None) -> dict:
    error = {"code": code, "status": status_code}
    if retry_after is not None:
        error["retry_after"] = retry_after
    error["message"] = message
    return {"request_id": request_id, "error": error}


if __name__ == "__main__":
    serve(app, settings)
