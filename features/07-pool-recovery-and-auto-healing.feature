@phase3 @tc7
Feature: Pool recovery and auto-healing
  Hung statements and leaked connections do not give their connections back by themselves: a pool
  stuck on them starves the service for good. The service must notice, heal itself — in priority
  order, where it reports its recovery — within the plan's recovery time, and an operator must be
  able to reset the pool by hand in an emergency.

  The tuning steps ("recovers on its own once…", "treats a connection held longer than…") set a
  service's own recovery and leak settings where it has them, so the scenario runs fast; a service
  without such a setting runs with its own, and the report says so.

  Background:
    Given the backend pool has pool size 2, max overflow 1 and a pool timeout of 30 seconds

  Rule: An exhaustion that does not clear by itself is healed automatically

    @needs-database
    Scenario Outline: The backend heals itself from <cause>
      Given the backend recovers on its own once it has been stuck for 2 seconds, cancelling statements that run longer than 1 second
      And the backend treats a connection held longer than 1 second as leaked, reporting it without reclaiming it
      When 3 <cause> take every backend connection
      And 2 more requests wait for a backend connection
      Then the backend health becomes critical
      And the backend heals itself within 60 seconds, and the recovery time is reported
      And the recovery strategies ran in priority order: <strategies>
      And every request was answered, with success or backpressure and a Retry-After hint
      And the backend pool metrics are back to normal
      And the backend counted its recovery
      And a normal backend operation succeeds

      Examples: statements that hang
        | cause              | strategies                                       |
        | hung statements    | cancel long statements                           |

      @needs-leak-on-command
      Examples: connections a buggy handler never gives back
        | cause              | strategies                                       |
        | leaked connections | cancel long statements, reclaim leaked connections |

  Rule: An operator can reset the pool in an emergency

    @needs-database @needs-emergency-reset
    Scenario: The emergency reset frees a pool stuck on hung statements at once
      Given the backend does not recover on its own
      When 3 hung statements take every backend connection
      And 2 more requests wait for a backend connection
      And the backend health becomes critical
      When an operator resets the backend pool
      Then the reset refused the 2 waiting requests and took back 3 connections
      And the backend health becomes healthy
      And every request was answered, with success or backpressure and a Retry-After hint
      And every backend connection is back in the pool
      And a normal backend operation succeeds

  Rule: A circuit breaker fails fast while the pool cannot serve, probes, and closes again

    Scenario: Repeated timeouts open the breaker; a probe while still stuck re-opens it, a probe once free closes it
      Given the backend pool has pool size 1, max overflow 0 and a pool timeout of 1 second
      And the backend circuit breaker opens after 3 consecutive timeouts and probes again after 2 seconds
      And an operation holds the only backend connection for 12 seconds
      When 3 requests in a row time out waiting for a backend connection
      Then the backend circuit breaker is open
      And the next backend request is refused with backpressure and a Retry-After hint in far less than the pool timeout
      When the backend breaker lets a probe through while the connection is still held
      Then the backend circuit breaker is open again
      When the operation holding the connection has finished
      Then the next backend probe succeeds and the circuit breaker closes
      And the backend circuit breaker went open, half-open, open, half-open and then closed
