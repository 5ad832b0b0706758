/** The workload's SQL, in one place: the HTTP routes and the WebSocket run the same operations. */

/** The fast operation: one row of the workload's table (so a lock on work_items makes it wait, as any real read would). */
export const FAST_READ = 'SELECT label FROM work_items WHERE id = 1';

/** Holds the connection inside the database for $1 seconds. */
export const HOLD = 'SELECT pg_sleep($1)';

/** Fails inside the database on purpose (division by zero). */
export const FAIL = 'SELECT 1 / 0';
