import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerTokenOf, sendUnauthorized } from './bearer';
import { sendProblem } from './problem';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A preHandler that admits `Authorization: Bearer <admin token>`: 401 without it, 403 when wrong. */
export function requireAdminToken(adminToken: string) {
  const expected = digest(adminToken);
  return async function checkAdminToken(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const token = bearerTokenOf(request.headers.authorization);
    if (!token) {
      await sendUnauthorized(reply, {
        type: '/problems/unauthorized',
        title: 'Authentication required',
        status: 401,
        detail: 'Admin endpoints need an Authorization: Bearer <admin token> header.',
      });
      return;
    }
    // Compare digests of equal length in constant time, so timing reveals nothing of the token.
    if (!timingSafeEqual(digest(token), expected)) {
      await sendProblem(reply, { type: '/problems/forbidden', title: 'Forbidden', status: 403, detail: 'The admin token is not valid.' });
    }
  };
}
