import type { FastifyReply } from 'fastify';
import { sendProblem, type Problem } from './problem';

/**
 * Bearer tokens, read one way everywhere: the admin guard, the auth service's token check and the
 * WebSocket upgrade. The scheme is case-insensitive (RFC 7235); the token is the rest of the header.
 */
export function bearerTokenOf(header: string | undefined): string | undefined {
  return header ? /^Bearer +(\S.*)$/i.exec(header)?.[1] : undefined;
}

/** The answer to a missing, malformed, expired or forged access token: 401, naming why. */
export function invalidTokenProblem(reason: string): Problem {
  return { type: '/problems/invalid-token', title: 'Authentication required', status: 401, detail: `A valid bearer token is required: ${reason}.` };
}

/** A 401 with the challenge RFC 6750 asks for. */
export function sendUnauthorized(reply: FastifyReply, problem: Problem): FastifyReply {
  reply.header('WWW-Authenticate', 'Bearer');
  return sendProblem(reply, problem);
}
