@phase1 @tc3
Feature: Backpressure signal validation
  When the pool is exhausted, clients must be told in a way they can act on: 503 or 429 with a
  Retry-After hint, in one consistent format with a friendly message, never a 500 — over HTTP and
  WebSocket alike — and the same requests must succeed again once the pressure is gone.

  Background:
    Given the backend pool has pool size 2, max overflow 1 and a pool timeout of 2 seconds

  Rule: HTTP requests that need the database get 503 or 429 with a retry hint, never a 500
    Three connections and two places in the queue: five requests at once fit once the blocking
    operations are gone. Refusing leaves nothing behind: the same burst against the same blocked
    pool is answered exactly as the first time.

    @runs-alone
    Scenario: Five requests arrive while three blocking operations hold every connection
      Given the backend pool lets 2 requests wait
      And 3 operations each hold a backend connection for 5 seconds
      When 5 requests that need the database arrive at once
      Then 3 of them are refused at once because the queue is full and 2 at the pool timeout, each with backpressure and a Retry-After hint
      And every refusal uses one consistent format with a client-friendly message
      And the backend stays up and has answered no request with a 500
      And every request is accounted for: 3 succeeded, 3 refused because the queue was full, 2 refused at the pool timeout, none unexplained
      When the blocking operations have finished
      Then the same 5 requests succeed again
      When 3 operations again hold a backend connection for 5 seconds and 5 requests arrive at once
      Then the backend answers them as it did the first time, with the same places in the queue

  Rule: WebSocket clients get an error message with a retry hint, and stay connected

    @needs-websocket @needs-sign-in
    Scenario Outline: A WebSocket client asks for data while three blocking operations hold every connection (<signal>)
      Given the backend pool lets <queue> requests wait
      And a WebSocket client signed in as the test user
      And 3 operations each hold a backend connection for 5 seconds
      When the WebSocket client asks for data from the database
      Then it receives an error message saying <why>, with a retry hint
      And its connection stays open and answers a ping
      When the blocking operations have finished
      Then the WebSocket client's next request succeeds
      And every request is accounted for: 4 succeeded, <queue full> refused because the queue was full, <timed out> refused at the pool timeout, none unexplained

      Examples: waited the pool timeout
        | signal    | queue | why                  | queue full | timed out |
        | timed out | 10    | the wait timed out   | 0          | 1         |

      Examples: the queue was full
        | signal     | queue | why                | queue full | timed out |
        | queue full | 0     | the queue is full  | 1          | 0         |

  Rule: Only a client with a valid token gets through, over HTTP and WebSocket alike

    @needs-sign-in
    Scenario Outline: A client with <token> is refused
      When a client presents <token>
      Then the auth service refuses it as unauthorized
      And the refusal says why: <reason>
      And a WebSocket client with the same token is refused as unauthorized

      Examples:
        | token                         | reason                       |
        | no token                      | no token was given           |
        | a forged token                | its signature is not valid   |
        | a token signed by another key | its signature is not valid   |
        | an unsigned token             | it is not signed             |

      @needs-expired-token
      Examples: a token that has expired
        | token            | reason          |
        | an expired token | it has expired  |

  Rule: A login storm gets backpressure from the auth service, never a 500

    @needs-sign-in
    Scenario: Thirty logins at once on an auth pool of one connection
      Given the auth pool has pool size 1, max overflow 0 and a pool timeout of 1 second
      And the auth pool lets 2 requests wait
      When 30 users log in at once
      Then every login succeeds or is refused with backpressure and a Retry-After hint
      And every login asked the auth pool for a connection exactly once
      And the auth stays up and has answered no request with a 500
      And every request is accounted for, none unexplained
