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
