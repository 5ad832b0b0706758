import Fastify, { type FastifyInstance } from 'fastify';
import { requireAdminToken } from '../common/admin-auth';
import { bearerTokenOf, invalidTokenProblem, sendUnauthorized } from '../common/bearer';
import { registerProblemHandlers } from '../common/error-handling';
import { registerPoolRoutes } from '../common/pool-routes';
import { loggerOptions } from '../common/request-logging';
import { sendProblem, type Problem } from '../common/problem';
import type { DatabaseConnectionManager } from '../pool';
import type { AuthConfig } from './config';
import { decoyHash, verifyPassword } from './passwords';
import { TokenRejectedError, type TokenIssuer } from './tokens';
import { UserRepository } from './users';

export const SERVICE_NAME = 'auth';

/** One answer for an unknown user and a wrong password, so the API never tells which it was. */
const INVALID_CREDENTIALS: Problem = {
  type: '/problems/invalid-credentials',
  title: 'Login failed',
  status: 401,
  detail: 'The email or the password is wrong.',
};

function bearerToken(header: string | undefined): string {
  const token = bearerTokenOf(header);
  if (!token) throw new TokenRejectedError('no token was given (expected an Authorization: Bearer <token> header)');
  return token;
}

interface LoginBody {
  email: string;
  password: string;
}

/**
 * Builds the auth service (login, token check, JWKS) without listening. Login reads the user
 * through the service's own pool, so pool pressure here answers 429/503 like the backend, and
 * never a 500.
 */
export function buildAuthApp(config: AuthConfig, manager: DatabaseConnectionManager, issuer: TokenIssuer): FastifyInstance {
  const app = Fastify({ logger: loggerOptions(config.http.logLevel), bodyLimit: 16 * 1024 });
  const users = new UserRepository(manager);
  registerProblemHandlers(app, manager, (error) => (error instanceof TokenRejectedError ? invalidTokenProblem(error.reason) : undefined));

  registerPoolRoutes(app, SERVICE_NAME, manager, config.http.adminToken);

  app.post<{ Body: LoginBody }>(
    '/auth/login',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          properties: { email: { type: 'string', minLength: 3, maxLength: 254 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      // The pool is released before hashing: scrypt's ~0.1 s must not hold a database connection.
      const user = await users.findByEmail(email);
      const matches = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !matches) return sendUnauthorized(reply, INVALID_CREDENTIALS);
      const { token, expiresAt } = await issuer.issue(user.id, user.email);
      return reply.header('Cache-Control', 'no-store').send({
        accessToken: token,
        tokenType: 'Bearer',
        expiresIn: issuer.ttlSeconds,
        expiresAt: expiresAt.toISOString(),
      });
    },
  );

  // Verifies a token here, and reads its user through auth's pool: "token verification keeps working" is observable on auth.
  app.get('/auth/me', async (request, reply) => {
    const claims = await issuer.verify(bearerToken(request.headers.authorization));
    const user = await users.findById(claims.subject);
    if (!user) return sendUnauthorized(reply, invalidTokenProblem('the token names a user that does not exist'));
    return { subject: user.id, email: user.email, expiresAt: claims.expiresAt.toISOString() };
  });

  // The public keys verifiers fetch (and cache) to check tokens locally, without a call per token.
  app.get('/auth/jwks', async (_request, reply) => reply.header('Cache-Control', 'public, max-age=300').send(issuer.jwks()));

  app.register(async (admin) => {
    admin.addHook('preHandler', requireAdminToken(config.http.adminToken));
    // Test and operations aid behind the admin token: a token for a user with a chosen lifetime
    // (negative: already expired), without the user's password.
    admin.post<{ Body: { email: string; ttlSeconds: number } }>(
      '/admin/tokens',
      {
        schema: {
          body: {
            type: 'object',
            required: ['email', 'ttlSeconds'],
            properties: { email: { type: 'string', maxLength: 254 }, ttlSeconds: { type: 'integer', minimum: -86_400, maximum: 86_400 } },
          },
        },
      },
      async (request, reply) => {
        const user = await users.findByEmail(request.body.email);
        if (!user) return sendProblem(reply, { type: '/problems/unknown-user', title: 'Unknown user', status: 404, detail: `No user ${request.body.email}.` });
        const { token, expiresAt } = await issuer.issue(user.id, user.email, request.body.ttlSeconds);
        return { accessToken: token, tokenType: 'Bearer', expiresAt: expiresAt.toISOString() };
      },
    );
  });

  return app;
}
