@phase2 @tc4
Feature: Connection leak detection and prevention
  A connection that is never given back shrinks the pool for good, until the service starves. So
  every operation must return its connection — also when it fails — and a connection a buggy
  handler keeps or forgets must be found, reported, and taken back, with PostgreSQL itself as the
  witness that no "zombie" connection is left behind.

  Background:
    Given the backend pool has pool size 4 and max overflow 2

  Rule: Failed operations still give their connections back

    @needs-database
    Scenario: Twenty operations, five of them failing, leave the pool as they found it
      When 20 operations run against the backend, 5 of them failing inside the database
      Then 15 operations succeeded and 5 failed with a database error
      And the backend active connection count peaked at 6 and returned to its baseline
      And the backend pool counted 20 connections acquired and 20 released
      And the backend kept the same server connections through the failures, closing none of them
      And every backend connection is back in the pool

  Rule: The connection count does not drift over time

    @needs-database
    Scenario Outline: <rounds> rounds of twenty operations leave the same connections open
      When <rounds> rounds of 20 operations run against the backend, 5 of them failing each time
      Then after every round the backend held no connection, closed its overflow, kept the same server connections open and idle, and the database agreed

      Examples: repeated rounds
        | rounds |
        | 5      |

  Rule: No zombie connection survives garbage collection

    @needs-database @needs-leak-on-command @needs-collect-garbage @needs-leak-report
    Scenario: A connection dropped without release is found after garbage collection and reclaimed
      When a backend request drops its connection without giving it back
      And the backend collects its garbage
      Then the backend reports that connection as collected
      And the database terminated that backend server connection, leaving no zombie behind
      And every backend connection is back in the pool
      And the backend health becomes healthy

  Rule: A connection held past the leak threshold is reported, then reclaimed

    @needs-database @needs-leak-on-command @needs-leak-report
    Scenario: A deliberately leaked connection is detected, reclaimed, and health recovers
      Given the backend treats a connection held longer than 2 seconds as leaked, reporting it without reclaiming it
      When a backend request keeps its connection and never gives it back
      Then the backend reports that connection as leaked, with its age and where it was taken
      And the backend health becomes warning
      When the backend is told to reclaim leaked connections
      Then the backend reports that connection as reclaimed
      And the database terminated that backend server connection, leaving no zombie behind
      And the backend health becomes healthy
      And every backend connection is back in the pool
