-- The auth service's users. Passwords are stored as scrypt hashes only:
--   scrypt$<N>$<r>$<p>$<salt, base64url>$<32-byte key, base64url>   (node:crypto scrypt)
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text NOT NULL UNIQUE CHECK (email = lower(email)),
  password_hash text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- LOCAL TEST DEFAULTS, not secrets: the acceptance suite and `npm run stack` log in as these.
--   qa@example.test  / local-test-password
--   ops@example.test / local-ops-password
INSERT INTO users (email, password_hash) VALUES
  ('qa@example.test',  'scrypt$16384$8$1$p4l48vGiGOSO_wuY9shp6w$AYP4kYYOmOVy6JigfL2UZtEXtAL60FPDrG9UG9KSqOk'),
  ('ops@example.test', 'scrypt$16384$8$1$iYB3mCQb0ksufaKl1gIsxQ$5DaeUAyykxQFsrKZ33nysO1zoxIzJCpk1kvjPigf6cI');
