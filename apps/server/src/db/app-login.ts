import { createHmac } from 'node:crypto';
import { connect } from './client.ts';
import type { Sql } from './client.ts';

/**
 * The service's own login (ADR 0013): requests run on connections that log in as the application role
 * `opendmp_app` itself, never as the owner, so that no SQL they run can `RESET ROLE` to the owner's rights.
 * Migrations still run as the owner of DATABASE_URL (or the embedded database's superuser).
 *
 * DATABASE_URL (an owner URL) stays all the service needs: the login URL is that URL with the user replaced by
 * `opendmp_app` and, when the owner URL carries a password, a password derived from it (HMAC-SHA-256 of the role
 * name keyed by the owner's password: it reveals nothing of the owner's), which the service sets on the role as the
 * owner when the login is refused (`ensureAppLogin`). `OPENDMP_APP_DATABASE_URL` overrides the whole login URL (a
 * managed server whose owner may not set passwords; the administrator then creates the login and its password).
 */
export const APP_ROLE = 'opendmp_app';

export interface AppLogin {
  readonly url: string;
  /** The password derived from the owner's, which `ensureAppLogin` may set; null when none or overridden. */
  readonly derivedPassword: string | null;
  /** True when OPENDMP_APP_DATABASE_URL gave the URL. */
  readonly overridden: boolean;
}

/** The application login of an owner URL (same host, port, database and parameters). */
export function appLogin(
  ownerUrl: string,
  override: string | undefined = process.env['OPENDMP_APP_DATABASE_URL'] || undefined,
): AppLogin {
  if (override) {
    return { url: override, derivedPassword: null, overridden: true };
  }
  const u = new URL(ownerUrl);
  const ownerPassword = decodeURIComponent(u.password);
  const derivedPassword = ownerPassword
    ? createHmac('sha256', ownerPassword).update(`opendmp login ${APP_ROLE}`).digest('base64url')
    : null;
  u.username = APP_ROLE;
  u.password = derivedPassword ?? '';
  return { url: u.toString(), derivedPassword, overridden: false };
}

function isLoginRefused(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  // 28P01 wrong password, 28000 role may not log in or no pg_hba entry.
  return code === '28P01' || code === '28000';
}

async function tryLogin(url: string): Promise<unknown> {
  const sql = connect(url, { max: 1 });
  try {
    await sql`SELECT 1`;
    return null;
  } catch (e) {
    return e;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Makes sure the application login works, as the owner (after the migrations): when it is refused and the login
 * is derived, the role is given LOGIN and the derived password. Throws with the way out when it still fails.
 */
export async function ensureAppLogin(owner: Sql, login: AppLogin): Promise<void> {
  let error = await tryLogin(login.url);
  if (error === null) {
    return;
  }
  if (!login.overridden && isLoginRefused(error)) {
    try {
      await owner.unsafe(
        login.derivedPassword
          ? `ALTER ROLE ${APP_ROLE} WITH LOGIN PASSWORD '${login.derivedPassword}'`
          : `ALTER ROLE ${APP_ROLE} WITH LOGIN`,
      );
      error = await tryLogin(login.url);
    } catch (e) {
      error = e;
    }
  }
  if (error !== null) {
    const reason = error instanceof Error ? error.message : 'unknown error';
    throw new Error(
      `the service cannot log in as ${APP_ROLE} (${reason}); let it log in (ALTER ROLE ${APP_ROLE} LOGIN PASSWORD …, ` +
        'and a pg_hba.conf entry) and give its URL in OPENDMP_APP_DATABASE_URL',
    );
  }
}

/** Connects as the application login (the request pool, jobs, and tools that act as the service). */
export function connectApp(login: AppLogin, options: { max?: number } = {}): Sql {
  return connect(login.url, options);
}
