import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { linkBase } from './link-base.ts';

const demo = { publicBaseUrl: 'http://localhost:8080', publicBaseUrlSet: false, port: 8080 };
const production = { publicBaseUrl: 'https://dmp.example.org', publicBaseUrlSet: true, port: 8080 };

function request(host: string | undefined): FastifyRequest {
  return { headers: host === undefined ? {} : { host } } as unknown as FastifyRequest;
}

describe('the base URL of links', () => {
  it.each([
    [demo, 'localhost:8080', 'http://localhost:8080'],
    [demo, '127.0.0.1:8080', 'http://127.0.0.1:8080'],
    [demo, '[::1]:8080', 'http://[::1]:8080'],
    [demo, 'LOCALHOST:8080', 'http://localhost:8080'],
    // another port (a proxy, or inject's default Host), another name, no port, no Host: the configured base
    [demo, 'localhost:80', 'http://localhost:8080'],
    [demo, '127.0.0.1', 'http://localhost:8080'],
    [demo, 'evil.example.org:8080', 'http://localhost:8080'],
    [demo, '192.168.1.10:8080', 'http://localhost:8080'],
    [demo, '127.0.0.1:8080@evil.example.org', 'http://localhost:8080'],
    [demo, 'localhost:8080/x', 'http://localhost:8080'],
    [demo, undefined, 'http://localhost:8080'],
    // production: OPENDMP_PUBLIC_URL wins whatever the Host header says
    [production, '127.0.0.1:8080', 'https://dmp.example.org'],
    [production, 'evil.example.org', 'https://dmp.example.org'],
  ] as const)('%o with Host %s links under %s', (config, host, base) => {
    expect(linkBase(request(host), config)).toBe(base);
  });
});
