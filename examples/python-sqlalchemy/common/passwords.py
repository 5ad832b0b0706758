"""Password hashes with the standard library's PBKDF2-HMAC-SHA256.

Stored as `pbkdf2_sha256$<iterations>$<salt, base64>$<key, base64>`, so the iteration count can be
raised later without breaking stored hashes. Hashing costs about 0.2 s of CPU at 600,000 iterations
(OWASP's figure for PBKDF2-SHA256): callers run it in a worker thread, never on the event loop and
never while holding a database connection.

To hash a password for a seed file: `/usr/bin/python3 -m common.passwords` (reads it from the terminal).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 600_000


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, key = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    except ValueError:  # a malformed hash never matches
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Checked against when the user does not exist, so that answering "no such user" takes as long as
# "wrong password" and the response time does not tell which usernames exist.
DUMMY_HASH = hash_password("no such user")


if __name__ == "__main__":
    import getpass

    print(hash_password(getpass.getpass("password: ")))
