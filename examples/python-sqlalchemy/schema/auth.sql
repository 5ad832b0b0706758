-- Auth schema: the users table and one seeded user.
-- Run as the auth service's own role, in a database that role owns (no superuser statement here).
-- Safe to run again.

CREATE TABLE IF NOT EXISTS users (
    id            integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL UNIQUE,
    display_name  text        NOT NULL,
    -- pbkdf2_sha256$<iterations>$<salt, base64>$<key, base64>, see common/passwords.py
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- LOCAL TEST DEFAULT, for local runs and the acceptance suite only:
--   username qa@example.test, password local-test-password
-- Never load this row into a database anyone else can reach.
-- Hash made with `/usr/bin/python3 -m common.passwords` (PBKDF2-HMAC-SHA256, 600,000 iterations).
INSERT INTO users (username, display_name, password_hash) VALUES (
    'qa@example.test',
    'QA test user',
    'pbkdf2_sha256$600000$needPPCc0J/EA4dWOUnslA==$tIRwP3fK/dWvaoeAMFvf+aEMACVSELxds4se8Hrg6pM='
)
ON CONFLICT (username) DO NOTHING;
