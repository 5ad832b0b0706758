import type { DatabaseConnectionManager } from '../pool';

export interface User {
  id: string;
  email: string;
  passwordHash: string;
}

/** The auth service's users, read through its own pool (so a login storm really loads that pool). */
export class UserRepository {
  constructor(private readonly manager: DatabaseConnectionManager) {}

  async findByEmail(email: string): Promise<User | undefined> {
    const { rows } = await this.manager.withConnection((connection) =>
      connection.query<{ id: string; email: string; password_hash: string }>('SELECT id, email, password_hash FROM users WHERE email = $1', [
        email.trim().toLowerCase(),
      ]),
    );
    const row = rows[0];
    return row ? { id: String(row.id), email: row.email, passwordHash: row.password_hash } : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    // Guard: ids are bigint; a subject that is not one names no user (and must not reach SQL as an error).
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const { rows } = await this.manager.withConnection((connection) =>
      connection.query<{ id: string; email: string; password_hash: string }>('SELECT id, email, password_hash FROM users WHERE id = $1', [id]),
    );
    const row = rows[0];
    return row ? { id: String(row.id), email: row.email, passwordHash: row.password_hash } : undefined;
  }
}
