import { describe, expect, it } from 'vitest';
import { appLogin } from './app-login.ts';

describe('the application login derived from DATABASE_URL', () => {
  it('keeps host, port, database and socket parameters, and replaces the user by opendmp_app', () => {
    const login = appLogin(
      'postgres://opendmp:opendmp-local@localhost:5433/opendmp?host=%2Ftmp%2Fpg',
      undefined,
    );
    const u = new URL(login.url);
    expect(u.username).toBe('opendmp_app');
    expect(u.host).toBe('localhost:5433');
    expect(u.pathname).toBe('/opendmp');
    expect(u.searchParams.get('host')).toBe('/tmp/pg');
    expect(login.overridden).toBe(false);
  });

  it('derives a password from the owner’s, stable, and never the owner’s own', () => {
    const a = appLogin('postgres://owner:s3cret@db.example:5432/dmp', undefined);
    const b = appLogin('postgres://owner:s3cret@db.example:5432/dmp', undefined);
    const other = appLogin('postgres://owner:another@db.example:5432/dmp', undefined);
    expect(a.derivedPassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.derivedPassword).toBe(b.derivedPassword);
    expect(a.derivedPassword).not.toBe(other.derivedPassword);
    expect(a.url).not.toContain('s3cret');
    expect(new URL(a.url).password).toBe(a.derivedPassword);
  });

  it('uses no password when the owner has none (trust, peer), and the override as given', () => {
    const trust = appLogin('postgres://postgres@127.0.0.1:5432/dmp', undefined);
    expect(trust).toEqual({
      url: 'postgres://opendmp_app@127.0.0.1:5432/dmp',
      derivedPassword: null,
      overridden: false,
    });
    const given = appLogin('postgres://postgres@127.0.0.1:5432/dmp', 'postgres://app:pw@h/dmp');
    expect(given).toEqual({
      url: 'postgres://app:pw@h/dmp',
      derivedPassword: null,
      overridden: true,
    });
  });
});
