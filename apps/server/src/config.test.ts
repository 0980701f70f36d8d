import { describe, expect, it } from 'vitest';
import { isLoopbackHost, loadConfig } from './config.ts';

describe('where the service listens', () => {
  it.each([
    [{ OPENDMP_DEMO: '1' }, 'localhost'],
    [{ OPENDMP_DEMO: '1', HOST: '' }, 'localhost'],
    [{ OPENDMP_DEMO: '1', HOST: '0.0.0.0' }, '0.0.0.0'],
    [{ OPENDMP_MASTER_KEY: 'k' }, '0.0.0.0'],
    [{ HOST: '127.0.0.1' }, '127.0.0.1'],
  ] as const)('%o listens on %s', (env, host) => {
    expect(loadConfig(env).host).toBe(host);
  });

  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['localhost.example.org', false],
    ['127.0.0.1.nip.io', false],
  ] as const)('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('OPENDMP_OIDC_ISSUERS binds each issuer to actor kinds (issue 17 rule 12)', () => {
  const base = {
    issuer: 'https://psc.test',
    jwksUri: 'https://psc.test/jwks',
    audience: 'opendmp',
  };
  const load = (entries: unknown[]) =>
    loadConfig({ OPENDMP_OIDC_ISSUERS: JSON.stringify(entries) }).oidcIssuers;

  it('refuses at start an entry that does not say which kinds it may assert', () => {
    expect(() => load([base])).toThrow(/https:\/\/psc\.test must say which actor kinds/);
    expect(() => load([{ ...base, kinds: [] }])).toThrow(/must say which actor kinds/);
  });

  it('refuses an unknown kind', () => {
    expect(() => load([{ ...base, kinds: ['professional', 'admin'] }])).toThrow(
      /unknown kind "admin"/,
    );
  });

  it('reads the kinds and the second-factor values, "mfa" by default', () => {
    expect(load([{ ...base, kinds: ['professional'] }])).toEqual([
      { ...base, kinds: ['professional'], secondFactorAcr: [], secondFactorAmr: ['mfa'] },
    ]);
    expect(
      load([
        {
          ...base,
          kinds: ['patient', 'representative'],
          secondFactorAcr: ['eidas2'],
          secondFactorAmr: ['otp'],
        },
      ]),
    ).toEqual([
      {
        ...base,
        kinds: ['patient', 'representative'],
        secondFactorAcr: ['eidas2'],
        secondFactorAmr: ['otp'],
      },
    ]);
    // Naming only acr values turns the amr default off.
    expect(load([{ ...base, kinds: ['patient'], secondFactorAcr: ['eidas2'] }])[0]).toMatchObject({
      secondFactorAcr: ['eidas2'],
      secondFactorAmr: [],
    });
  });

  it('refuses second-factor values that are not strings', () => {
    expect(() => load([{ ...base, kinds: ['patient'], secondFactorAmr: 'otp' }])).toThrow(
      /secondFactorAmr" must be an array/,
    );
  });
});

describe('OPENDMP_TEST_INS (issue 17 rule 11)', () => {
  it.each([
    [{ OPENDMP_DEMO: '1' }, true],
    [{}, false],
    [{ OPENDMP_TEST_INS: '1' }, true],
    [{ OPENDMP_DEMO: '1', OPENDMP_TEST_INS: '0' }, false],
  ] as const)('%o accepts the test and demo INS systems: %s', (env, allowed) => {
    expect(loadConfig(env).testInsSystems).toBe(allowed);
  });
});
