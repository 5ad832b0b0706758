@resilience @needs-database
Feature: Resilience under database faults
  Load is not the only thing that takes connections away. PostgreSQL may end a service's
  connections at any moment (an administrator, a failover, an idle-session killer), and it enforces
  limits of its own. The service must live through both: every request answered with success or
  backpressure, never a 500, never a crash, and healthy again by itself.

  Rule: The service survives PostgreSQL ending all of its connections in the middle of load
    A connection ended while a statement runs fails that statement; one ended while its holder is
    between statements (here: a buggy handler's, kept inside a transaction) fails nothing, and only
    the service's own listener stands between that and a crashed process.

    Scenario: Every backend connection is terminated while operations hold connections and quick requests keep coming
      Given the backend pool has pool size 5, max overflow 0 and a pool timeout of 2 seconds
      And the backend pool lets 10 requests wait
      And 3 operations each hold a backend connection for 5 seconds
      When the database terminates every backend connection while quick requests keep coming
      Then the backend process survived and kept answering its health check
      And at least 3 connections were terminated
      And every request was answered, with success or backpressure and a Retry-After hint
      And the backend health becomes healthy
      And a normal backend operation succeeds
      And the time the backend took to recover from the kill is reported

    @needs-leak-on-command
    Scenario: A connection a buggy handler keeps between statements is terminated too, and the process survives
      Given the backend pool has pool size 5, max overflow 0 and a pool timeout of 2 seconds
      And the backend pool lets 10 requests wait
      And the backend treats a connection held longer than 1 second as leaked, reporting it without reclaiming it
      And 3 operations each hold a backend connection for 5 seconds
      And a backend request keeps its connection and never gives it back
      When the database terminates every backend connection while quick requests keep coming
      Then the backend process survived and kept answering its health check
      And at least 4 connections were terminated
      And every request was answered, with success or backpressure and a Retry-After hint
      When the backend is told to reclaim leaked connections
      Then the backend health becomes healthy
      And a normal backend operation succeeds
      And the time the backend took to recover from the kill is reported

  Rule: PostgreSQL going away and coming back is survived without restarting the services
    While the database is down, every request is refused at once with backpressure and a hint when to
    retry, and health says critical; once it is back, the services serve again by themselves.

    @needs-database-restart
    Scenario: PostgreSQL restarts in the middle of a run
      Given the backend pool has pool size 5, max overflow 0 and a pool timeout of 2 seconds
      When PostgreSQL stops while quick requests keep coming to every service
      Then every service reports critical health while it is down
      And every request sent while it is down is refused at once with backpressure and a Retry-After hint
      When PostgreSQL starts again on the same data
      Then every service serves again and is healthy by itself within 30 seconds
      And no service said it was healthy while it still refused work
      And the test user still signs in with the same password
      And every request was answered, with success or backpressure and a Retry-After hint

    @needs-database-restart @needs-spawn-instance
    Scenario: A backend started while the database is down waits for it instead of failing
      Given PostgreSQL is down
      When a new backend instance starts
      Then the new instance is up, reports critical health and refuses a database operation with backpressure and a Retry-After hint
      When PostgreSQL starts again on the same data
      Then the new instance becomes healthy by itself within 30 seconds and serves a database operation
      And every service serves again and is healthy by itself within 30 seconds
      And the new instance shuts down cleanly and leaves no connection behind

  Rule: The database's own connection limits become backpressure, never a 500

    Scenario: The backend role may open fewer connections than the pool's capacity
      The role's limit counts every connection of the role, the health probe's among them: the
      pool gets what the others leave of the 4, far below its capacity of 10.

      Given the backend pool has pool size 5, max overflow 5 and a pool timeout of 2 seconds
      And the backend pool lets 10 requests wait
      And the database lets the backend role open only 4 connections
      When 6 operations, one after another, each try to hold a backend connection for 3 seconds
      Then the operations the role's limit leaves room for succeeded, and the rest were refused with backpressure, a Retry-After hint and the database's reason
      And the backend stays up and has answered no request with a 500

    @runs-alone
    Scenario: The database server has fewer free connections than the pool's capacity
      PostgreSQL's max_connections is shared by every client of the server. Here other clients
      hold all but 3 of the slots it gives ordinary roles (the rest it keeps for superusers).

      Given the backend pool has pool size 5, max overflow 5 and a pool timeout of 2 seconds
      And the backend pool lets 10 requests wait
      And other clients hold all but 3 of the connections the database server allows
      When 6 operations, one after another, each try to hold a backend connection for 3 seconds
      Then the operations the server's limit leaves room for succeeded, and the rest were refused with backpressure, a Retry-After hint and the database's reason
      And the backend stays up and has answered no request with a 500

  Rule: A connection that opens too late for its request goes back to the pool, never astray
    Opening a connection can take longer than a request may wait for one (a slow network, a busy
    database server). The request is refused at the pool timeout; the connection, when it opens at
    last, must be given back to the pool or closed, never left open and counted nowhere.

    @runs-alone
    Scenario: Connecting to the database takes longer than the pool timeout
      Given the backend pool has pool size 2, max overflow 1 and a pool timeout of 1 second
      And 2 operations each hold a backend connection for 6 seconds
      And connecting to the database takes the backend 3 seconds
      When one more request needs a backend connection
      Then that request is refused with backpressure at the pool timeout, not earlier and at most 1 second later
      When the slow connection has opened and connecting is fast again
      And the blocking operations have finished
      Then every open backend connection is idle in the pool, and PostgreSQL counts the same
      And a normal backend operation succeeds
