@phase1 @tc2
Feature: Connection queue management under load
  When every connection is taken, requests must wait their turn in the order they arrived, give up
  cleanly once the pool timeout has passed, and leave no connection behind — so a burst of traffic
  slows the product down instead of breaking it.

  Background:
    Given the backend pool has pool size 3, max overflow 2 and a pool timeout of 5 seconds

  Rule: Requests wait up to the pool timeout, then time out gracefully

    @slow @runs-alone
    Scenario: Ten long operations and five quick ones on a pool of three plus two overflow
      When 10 operations each hold a backend connection for 6 seconds
      And 5 quick operations need a backend connection while the pool is exhausted
      Then 5 operations hold backend connections and 10 requests wait in the queue
      And the 10 waiting requests are refused with 503 at the 5 seconds pool timeout, not earlier and at most 1.5 seconds later
      And the backend queue length metric followed the number of waiting requests over time
      And the backend's own wait times show the 10 waits that reached the pool timeout and none longer
      And the 5 operations holding connections succeed
      And every request is accounted for: 5 succeeded, 0 refused with 429, 10 refused with 503 and none unexplained
      And every backend connection is back in the pool

  Rule: The queue is served first in, first out

    Scenario: Connections that free up go to the requests that have waited longest
      Given 5 operations each hold a backend connection for 3 seconds
      When 5 quick operations queue for a backend connection one after another
      Then the backend served the queued operations in the order they arrived, each before the pool timeout
      And every request is accounted for: 10 succeeded, 0 refused with 429, 0 refused with 503 and none unexplained
      And every backend connection is back in the pool
