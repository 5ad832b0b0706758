/** Where the system under test answers, as the suite sees it: only its public contract. */
export interface Deployment {
  environment: string;
  backendUrl: string;
  authUrl: string | undefined;
  adminToken: string;
  /** A superuser URL for the pg_stat_activity audit; absent where a target does not allow it. */
  auditDatabaseUrl: string | undefined;
  /** Whether the deliberately buggy endpoints are on (FAULT_INJECTION=on). */
  faultInjection: boolean;
}

export interface Environment {
  readonly name: string;
  start(): Promise<Deployment>;
  stop(): Promise<void>;
}
