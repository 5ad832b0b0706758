@resilience @bad-input
Feature: Bad input is refused clearly
  A careless or hostile client must not take the service away from everybody else. Every bad
  input here — a wrong setting, a malformed request, a garbage WebSocket frame, a flood — is
  refused with a status and a message that names what was wrong, never a 500 or a crash, and the
  service goes on serving other clients right after.

  Rule: A service given an invalid setting refuses to start, and says which setting and why
    It stops at once with exit code 2 and one line, before it listens; the instance already
    running is not disturbed.

    @needs-spawn-instance
    Scenario Outline: A new backend refuses to start with <variable> set to "<value>"
      When a new backend process starts with <variable> set to "<value>"
      Then it stops before listening, with exit code 2 and one line that names <variable> and the value, and says: <allowed>
      And the backend keeps serving other clients

      Examples: Pool limits outside what the plan allows
        | variable       | value | allowed                     |
        | POOL_SIZE      | 0     | an integer from 1 to 1000   |
        | POOL_SIZE      | abc   | an integer from 1 to 1000   |
        | MAX_OVERFLOW   | -1    | an integer from 0 to 1000   |
        | POOL_TIMEOUT   | 0     | seconds above 0             |
        | POOL_MAX_QUEUE | -5    | an integer from 0 to 100000 |

      Examples: Other settings
        | variable       | value | allowed                    |
        | LEAK_THRESHOLD | soon  | seconds above 0            |
        | PORT           | 70000 | an integer from 0 to 65535 |
        | LEAK_RECLAIM   | maybe | "on" or "off"              |

    @needs-spawn-instance
    Scenario Outline: A new backend refuses to start with a bad <variable>, without repeating the secret
      When a new backend process starts with <variable> set to "<value>"
      Then it stops before listening, with exit code 2 and one line that names <variable> but not the secret, and says: <allowed>
      And the backend keeps serving other clients

      Examples: Secrets and addresses
        | variable     | value                          | allowed                            |
        | ADMIN_TOKEN  | short-secret                   | a secret of at least 16 characters |
        | DATABASE_URL | not a url                      | a postgres:// or postgresql:// URL |
        | DATABASE_URL | mysql://app:hunter22@db:3306/x | a postgres:// or postgresql:// URL |

  Rule: An administrator's invalid pool change is refused and changes nothing

    @needs-pool-admin
    Scenario Outline: Setting the backend pool's <setting> to <value> is refused
      When an administrator sets the backend pool's <setting> to <value>
      Then it is refused with 400 and a problem that says: <says>
      And the backend pool limits are what they were
      And the backend keeps serving other clients

      Examples: Values out of range or of the wrong kind
        | setting            | value | says                                                              |
        | poolSize           | 0     | poolSize=0 is not allowed: expected an integer from 1 to 1000     |
        | poolSize           | 1.5   | poolSize=1.5 is not allowed                                       |
        | poolSize           | "ten" | poolSize="ten" is not allowed                                     |
        | poolSize           | "5"   | poolSize="5" is not allowed                                       |
        | poolSize           | 10001 | poolSize=10001 is not allowed                                     |
        | maxOverflow        | -1    | maxOverflow=-1 is not allowed: expected an integer from 0 to 1000 |
        | poolTimeoutSeconds | 0     | poolTimeoutSeconds=0 is not allowed: expected seconds above 0     |
        | maxQueue           | -5    | maxQueue=-5 is not allowed                                        |

      Examples: A setting the pool does not have
        | setting   | value | says                                                            |
        | burstSize | 5     | burstSize=5 is not allowed: expected one of the fields poolSize |

    @needs-pool-admin
    Scenario Outline: <request> is refused, and the pool limits stay as they were
      When a client sends <request>
      Then it is refused with <status> and a problem that says: <says>
      And the backend pool limits are what they were
      And the backend keeps serving other clients

      Examples: Pool changes the backend cannot read
        | request                                         | status | says                                            |
        | a pool change whose body is not JSON            | 400    | Body is not valid JSON                          |
        | a pool change with an empty body                | 400    | Body cannot be empty                            |
        | a pool change with no body at all               | 400    | expected a JSON object                          |
        | a pool change that is a list                    | 400    | expected a JSON object                          |
        | a pool change sent as a form                    | 415    | send the body as application/json               |
        | a pool change larger than the body limit        | 413    | Request body is too large                       |
        | a pool change with one good and one bad setting | 400    | maxOverflow=-1 is not allowed                   |
        | a pool change that smuggles a __proto__ key     | 400    | without __proto__ or constructor.prototype keys |

  Rule: A malformed request is refused with a 4xx that names the problem, never a 500

    @needs-pool-admin
    Scenario Outline: <request> is refused with <status>
      When a client sends <request>
      Then it is refused with <status> and a problem that says: <says>
      And the <service> keeps serving other clients

      Examples: Holds the backend cannot do
        | request                               | status | says                                  | service |
        | a hold for -1 seconds                 | 400    | seconds must be > 0                   | backend |
        | a hold for 1e9 seconds                | 400    | seconds must be <= 300                | backend |
        | a hold for abc seconds                | 400    | seconds must be number                | backend |
        | a hold for an empty number of seconds | 400    | seconds must be number                | backend |
        | a hold that does not say for how long | 400    | must have required property 'seconds' | backend |

      Examples: Logins the auth service cannot read
        | request                            | status | says                                   | service |
        | a login whose body is not JSON     | 400    | Body is not valid JSON                 | auth    |
        | a login with an empty body         | 400    | Body cannot be empty                   | auth    |
        | a login sent as a form             | 415    | send the body as application/json      | auth    |
        | a login without a password         | 400    | must have required property 'password' | auth    |
        | a login larger than the body limit | 413    | Request body is too large              | auth    |

  Rule: WebSocket garbage gets an error frame, and the socket and the service stay up

    @needs-house-web-socket @needs-websocket @needs-sign-in
    Scenario Outline: A WebSocket client that sends <frame> is told what was wrong
      Given a WebSocket client signed in as the test user
      When it sends <frame>
      Then it gets a "BAD_REQUEST" error frame with status 400 that says: <says>
      And its connection stays open and answers a ping
      And the backend keeps serving other clients, over WebSocket and HTTP

      Examples: Frames the backend cannot read
        | frame                              | says                                 |
        | a frame that is not JSON           | the frame is not valid JSON          |
        | a binary frame                     | frames must be JSON text, not binary |
        | a JSON number instead of a request | expected object, received number     |

      Examples: Requests the backend does not take
        | frame                                   | says                                         |
        | a request for an unknown operation      | op: Invalid discriminator value              |
        | a hold for -1 seconds                   | seconds: Too small: expected number to be >0 |
        | a hold for "abc" seconds                | seconds: Invalid input: expected number      |
        | a request with a field it does not know | Unrecognized key: "sql"                      |
        | a request without an id                 | id: Invalid input                            |

    @needs-house-web-socket @needs-websocket @needs-sign-in
    Scenario Outline: A frame of <size> KB, over the 16 KB limit, closes only that socket
      Given a WebSocket client signed in as the test user
      When it sends a frame of <size> KB
      Then the backend closes that socket with code 1009, message too big
      And the backend keeps serving other clients, over WebSocket and HTTP

      Examples:
        | size |
        | 17   |
        | 1024 |

    @needs-house-web-socket @needs-websocket @needs-sign-in
    Scenario Outline: A flood of <count> requests at once on one socket: 8 run at a time, the rest are refused
      Each socket may have 8 requests running at once; more are refused at once with a retry hint
      instead of piling up in the pool's queue, where they would crowd out every other client.

      Given a WebSocket client signed in as the test user
      When it sends <count> requests at once, each holding a connection for 1 second
      Then <served> are served and <refused> are refused as too many in flight, each request answered exactly once
      And its connection stays open and answers a ping
      And the backend keeps serving other clients, over WebSocket and HTTP

      Examples:
        | count | served | refused |
        | 9     | 8      | 1       |
        | 200   | 8      | 192     |
