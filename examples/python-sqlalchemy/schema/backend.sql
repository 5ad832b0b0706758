-- Backend schema: the items table and a few rows.
-- Run as the backend's own role, in a database that role owns (no superuser statement here).
-- Safe to run again.

CREATE TABLE IF NOT EXISTS items (
    id          integer PRIMARY KEY,
    name        text    NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

INSERT INTO items (id, name, price_cents) VALUES
    (1, 'Widget', 1299),
    (2, 'Gadget', 2499),
    (3, 'Sprocket', 350)
ON CONFLICT (id) DO NOTHING;
