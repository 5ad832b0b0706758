"""Imported first by both services: a missing Debian package is named, with how to install it,
instead of surfacing as the first ModuleNotFoundError of whichever import comes first."""

import importlib.util

DEBIAN_PACKAGES = {
    "fastapi": "python3-fastapi",
    "uvicorn": "python3-uvicorn",
    "sqlalchemy": "python3-sqlalchemy",
    "asyncpg": "python3-asyncpg",
    "jwt": "python3-jwt",
    "prometheus_client": "python3-prometheus-client",
    "websockets": "python3-websockets",
}

missing = [package for module, package in DEBIAN_PACKAGES.items() if importlib.util.find_spec(module) is None]
if missing:
    raise SystemExit(
        f"missing Python packages: apt-get install {' '.join(missing)} "
        "(and start the services with /usr/bin/python3; README.md, Requirements)"
    )
