@phase3 @tc6 @runs-alone
Feature: Multi-service pool isolation
  Each service has its own pool, its own database role and its own connection limit, so that a
  backend starved of connections never takes sign-in down with it: users can still log in, tokens
  are still verified, and WebSocket clients stay connected and can still connect.

  Background:
    Given the backend pool has pool size 3, max overflow 2 and a pool timeout of 30 seconds

  Rule: Exhausting the backend's pool does not cascade to the auth service

    @needs-database @needs-sign-in
    Scenario: Auth keeps its normal speed while the backend pool is exhausted
      Given the normal speed of 20 auth sign-ins (login and token check) has been measured
      When 5 operations each hold a backend connection for 15 seconds
      And 5 more requests wait for a backend connection
      Then the backend health becomes critical
      And 20 auth sign-ins succeed, at the 95th percentile within 4 times their normal time on an equally busy machine
      And the backend pool was still exhausted when those sign-ins ended
      And the auth pool saw no timeout, refusal or error, and its health stayed healthy
      And the backend and auth each connect as their own database role, within its connection limit

  Rule: WebSocket clients stay connected through the backend's exhaustion
    A request over the WebSocket waits for a connection like any other request: up to the pool
    timeout of 30 seconds, longer than the operations hold theirs. So it is answered with its data
    once a connection is free, not refused.

    @needs-websocket @needs-sign-in
    Scenario: A WebSocket client connected before the exhaustion gets its data once a connection is free
      Given a WebSocket client signed in as the test user
      When 5 operations each hold a backend connection for 15 seconds
      And 5 more requests wait for a backend connection
      And the WebSocket client asks for data from the database
      Then its request waits in the queue for a backend connection, and meanwhile its connection stays open and answers a ping
      And a new WebSocket client can still sign in to the backend, and its pings are answered
      When the blocking operations have finished
      Then the WebSocket client gets its data once a connection is free, within the pool timeout
