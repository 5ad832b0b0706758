/**
 * Compile-time check, run by `npm run typecheck` (and so by npm test): the contract types the suite
 * keeps in support/clients/contract.ts must still describe what the services answer. The suite
 * never imports services/ at run time — it asks the running system, as QA would ask a deployment —
 * so its copies could drift silently; here every answer type of the services must be assignable to
 * the suite's view of it, or this file stops compiling and names the field.
 *
 * Type-only imports: nothing here runs.
 */
import type * as Suite from '../support/clients/contract';
import type { AnswerFrame } from '../support/clients/websocket-client';
import type { ServiceCapabilities, healthDocument } from '../services/common/pool-routes';
import type { Problem } from '../services/common/problem';
import type { ErrorFrame } from '../services/backend/websocket';
import type { LeakReport, LeakSettings } from '../services/pool/leak-detector';
import type { PoolLimits, PoolSnapshot } from '../services/pool';
import type { RecoveryReport, RecoverySettings, ResetReport } from '../services/pool/recovery';

/** `true` when every value of type `Actual` is a value of type `Expected`. */
type Fits<Actual, Expected> = [Actual] extends [Expected] ? true : false;

/** Each line fails to compile (`false` is not `true`) when the services' answer no longer fits the suite's type. */
export const CONTRACT_FITS: Record<string, true> = {
  'GET /admin/pool': true satisfies Fits<PoolSnapshot & { capabilities: ServiceCapabilities }, Suite.PoolSnapshot>,
  'PUT /admin/pool/config (limits)': true satisfies Fits<PoolLimits, Suite.PoolLimits>,
  'GET /admin/pool/recovery': true satisfies Fits<RecoveryReport, Suite.RecoveryReport>,
  'PUT /admin/pool/recovery (settings)': true satisfies Fits<RecoverySettings, Suite.RecoverySettings>,
  'POST /admin/pool/reset': true satisfies Fits<ResetReport, Suite.ResetAnswer>,
  'GET /admin/pool/leaks': true satisfies Fits<LeakReport, Suite.LeakReport>,
  'PUT /admin/pool/leaks (settings)': true satisfies Fits<LeakSettings, Suite.LeakSettings>,
  'GET /health': true satisfies Fits<ReturnType<typeof healthDocument>, Suite.HealthDocument>,
  'problem+json': true satisfies Fits<Problem, Suite.Problem>,
  'WebSocket error frame': true satisfies Fits<ErrorFrame, AnswerFrame>,
};
