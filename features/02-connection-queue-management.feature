@phase1 @tc2
Feature: Connection queue management under load
  When every connection is taken, requests must wait their turn in the order they arrived, give up
  cleanly once the pool timeout has passed — every one of them, not only the first — and leave no
  connection behind, so a burst of traffic slows the product down instead of breaking it.

  Background:
    Given the backend pool has pool size 3, max overflow 2 and a pool timeout of 5 seconds

  Rule: Requests wait up to the pool timeout, then time out gracefully

    @slow @runs-alone
    Scenario: Ten long operations and five quick ones on a pool of three plus two overflow
      When 10 operations each hold a backend connection for 7 seconds
      And 5 quick operations need a backend connection while the pool is exhausted, arriving 250 milliseconds apart
      Then 5 operations hold backend connections and 10 requests wait in the queue
      And the 10 waiting requests are refused with backpressure at the pool timeout, the last as promptly as the first
      And the backend queue length metric followed the number of waiting requests over time
      And the backend's own wait times show the 10 waits that reached the pool timeout and none longer
      And the 5 operations holding connections succeed
      And every request is accounted for: 5 succeeded, 0 refused because the queue was full, 10 refused at the pool timeout, none unexplained
      And every backend connection is back in the pool

  Rule: The queue is served first in, first out — also when it is longer than the pool

    Scenario: Connections that free up one by one go to the requests that have waited longest
      Given 5 operations hold a backend connection, the first for 1.5 seconds and each next one 0.3 seconds longer
      When 10 more operations queue for a backend connection one after another, each holding it for 1.5 seconds once served
      Then the backend served the queued operations in the order they arrived, each before the pool timeout
      And every request is accounted for: 15 succeeded, 0 refused because the queue was full, 0 refused at the pool timeout, none unexplained
      And every backend connection is back in the pool
