import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Open loop: requests per second across all connections; closed loop when absent. */
  overallRate?: number;
  onResponse?: (statusCode: number, responseTimeMs: number) => void;
}

export interface LoadResult {
  durationSeconds: number;
  sent: number;
  completed: number;
  byStatus: Record<string, number>;
  /** Connection errors and timeouts: requests that got no HTTP answer at all. */
  unanswered: number;
  latencyP99Ms: number;
}

/**
 * Load against 127.0.0.1 with autocannon (a well-kept HTTP load tool; its latencies are
 * HdrHistogram-backed). It counts 429/503 as "non2xx", so the answers are returned by status
 * and each part decides which of them it expected.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        timeout: 30,
      },
      (error, result) => {
        if (error) return reject(error);
        const byStatus = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, Number(stats.count)]));
        const completed = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
        resolve({
          durationSeconds: result.duration,
          sent: result.requests.sent,
          completed,
          byStatus,
          unanswered: result.errors, // autocannon counts timeouts among errors
          latencyP99Ms: result.latency.p99,
        });
      },
    );
    const onResponse = options.onResponse;
    if (onResponse) instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => onResponse(statusCode, responseTime));
  });
}
