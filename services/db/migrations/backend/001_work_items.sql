-- Minimal data for the workload: the plan asks for little I/O, so one small table.
CREATE TABLE work_items (
  id integer PRIMARY KEY,
  label text NOT NULL
);
INSERT INTO work_items (id, label) SELECT n, 'item ' || n FROM generate_series(1, 100) AS n;
