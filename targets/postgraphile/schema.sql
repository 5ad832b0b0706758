-- The schema PostGraphile serves in the suite: one small table, a function that sleeps (how the
-- suite holds a connection for N seconds) and one that fails inside the database.
CREATE SCHEMA app;

CREATE TABLE app.items (
  id    integer PRIMARY KEY,
  label text NOT NULL
);
INSERT INTO app.items (id, label) SELECT n, 'item ' || n FROM generate_series(1, 100) AS n;

-- VOLATILE: PostGraphile exposes it as the mutation sleep(input: {seconds}), run in a transaction
-- that holds one pool connection for the whole sleep.
CREATE FUNCTION app.sleep(seconds double precision) RETURNS boolean
  LANGUAGE sql VOLATILE AS $$ SELECT pg_sleep(seconds) IS NOT NULL $$;

-- STABLE: the query field `fail`, which divides by zero.
CREATE FUNCTION app.fail() RETURNS integer
  LANGUAGE sql STABLE AS $$ SELECT 1 / 0 $$;
