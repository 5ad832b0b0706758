@phase1 @tc1
Feature: Pool saturation detection
  When every database connection is in use, the backend must notice, say so in its metrics and
  health, and answer further requests with a queue or backpressure instead of crashing — so that a
  traffic peak never takes the product down.

  Background:
    Given the backend pool has pool size 5 and max overflow 3

  Rule: A saturated pool is reported as saturated

    @needs-database
    Scenario: Eight concurrent operations fill a pool of five plus three overflow
      When 8 operations each hold a backend connection for 4 seconds
      Then the backend pool reports 100% utilization with 3 overflow connections in use and none idle
      And the database sees exactly the connections the backend reports
      And the backend health is warning or critical

  Rule: A request beyond capacity queues or gets backpressure, and the service stays up

    @runs-alone
    Scenario Outline: One more request while the pool is saturated <outcome>
      Given the backend pool lets <queue> requests wait and times out after <timeout> seconds
      And 8 operations each hold a backend connection for 3 seconds
      When one more request needs a backend connection
      Then that request <outcome>
      And the backend stays up and has answered no request with a 500

      Examples: queued until a connection frees up
        | queue | timeout | outcome                                                    |
        | 10    | 30      | waits in the queue and succeeds once a connection frees up |

      Examples: timed out after the pool timeout
        | queue | timeout | outcome                                                                   |
        | 10    | 1       | is refused with backpressure at the pool timeout, with a Retry-After hint |

      Examples: refused at once when the queue is full
        | queue | timeout | outcome                                                       |
        | 0     | 30      | is refused with backpressure at once, with a Retry-After hint |

  Rule: Health follows saturation, and no connection leaks

    @needs-database
    Scenario: Health turns critical while a request waits, and healthy once the load is gone
      Given 8 operations each hold a backend connection for 3 seconds
      When one more request needs a backend connection
      Then the backend health becomes critical
      When all operations have finished
      Then the backend health becomes healthy
      And the backend health history shows it went critical and recovered
      And every backend connection is back in the pool
