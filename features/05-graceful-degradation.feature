@phase2 @tc5 @runs-alone
Feature: Graceful degradation under sustained load
  Under sustained pressure the backend slows down a little instead of falling over, sheds what it
  cannot serve with 429/503 rather than failing, recovers quickly after each spike, and drags no
  other service down with it.

  Load is closed-loop: a number of callers each send their next request as soon as the last one was
  answered, and every request holds one database connection, so "80% of pool capacity" means 80% of
  the pool's connections in use. An error is any answer other than 2xx, 429 and 503, or no answer at
  all; 429 and 503 are deliberate shedding and are counted and bounded on their own. The quick
  profile scales the load's durations down, and with them the time allowed to recover after a
  spike; the other limits stay the plan's.

  Background:
    Given the backend pool has pool size 10 and max overflow 15
    And every request of the load holds its database connection for 200 milliseconds
    And the backend promises to answer at least 99.9% of its health checks under load

  Rule: At normal load the pool keeps its headroom (the plan's baseline)

    Scenario: 60% of capacity for 30 seconds
      When callers keep 60% of the backend pool capacity busy for 30 seconds
      Then every request was accounted for and the callers kept the concurrency they aimed for
      And the backend pool utilization stayed at or below 90%
      And fewer than 1% of the requests failed
      And the backend stayed up throughout the load
      And once the load was over the backend had closed its overflow and kept the rest open and idle

  Rule: Sustained load with spikes degrades gracefully and recovers after each spike

    @slow
    Scenario: 80% of capacity for 2 minutes, spiking to 120% for 10 seconds every 40 seconds
      When callers keep 80% of the backend pool capacity busy for 2 minutes, spiking to 120% for 10 seconds every 40 seconds and allowing 30 seconds to recover after each spike
      Then every request was accounted for and the callers kept the concurrency they aimed for
      And every response came within 5 seconds
      And during the spikes fewer than 5% of the requests failed and fewer than 5% were shed
      And during the spikes the backend answered no faster than a full pool allows and no slower than the extra callers explain
      And after each spike the backend was back to normal within the time allowed
      And the backend stayed up throughout the load
      And the auth service stayed healthy throughout the load
      And once the load was over the backend had closed its overflow and kept the rest open and idle
