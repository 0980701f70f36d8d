/**
 * Issue 16, finding 6: slow or silent clients could hold a socket forever (no headers, request, idle or keep-alive
 * timeout). Real sockets against a listening server with short bounds: each misbehaving client is closed within its
 * bound, and a slow but steady upload inside the bounds still goes through.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimeoutConfig } from '../../src/config.ts';
import { loadConfig } from '../../src/config.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';

const BOUNDS: TimeoutConfig = {
  headersMs: 1_000,
  requestMs: 1_600,
  idleMs: 800,
  keepAliveMs: 700,
  maxConnections: 50,
};
/** Node looks for late requests every quarter of the shorter deadline; the rest is scheduling slack. */
const SLACK_MS = 600;
const KEEP_ALIVE_BUFFER_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Probe {
  readonly socket: net.Socket;
  /** Everything the server sent. */
  received(): string;
  /** Milliseconds from `since` (default: the connection) to the server closing the socket. */
  closed: Promise<number>;
  mark(): void;
}

async function connect(port: number): Promise<Probe> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  let since = Date.now();
  socket.on('data', (chunk: Buffer) => {
    data += chunk.toString('utf8');
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(Date.now() - since)),
  );
  return {
    socket,
    received: () => data,
    closed,
    mark: () => {
      since = Date.now();
    },
  };
}

/** Writes `text` one byte at a time, `everyMs` apart, until the socket closes or the text is sent. */
async function trickle(socket: net.Socket, text: string, everyMs: number): Promise<void> {
  for (const ch of text) {
    if (socket.destroyed || !socket.writable) {
      return;
    }
    socket.write(ch);
    await sleep(everyMs);
  }
}

describe('connection timeouts', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await buildTestApp({ timeouts: BOUNDS, host: '127.0.0.1' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 408 and closes a client that sends its headers byte by byte', async () => {
    const p = await connect(port);
    // Fast enough never to look idle (one byte every 100 ms), too slow to finish the headers in time.
    void trickle(
      p.socket,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      100,
    );
    const ms = await p.closed;
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.headersMs - 100);
    expect(ms).toBeLessThan(BOUNDS.headersMs + SLACK_MS);
    expect(p.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(p.received()).toContain('"code":"HTTP_REQUEST_TIMEOUT"');
    expect(p.received()).toContain('"resourceType":"OperationOutcome"');
  });

  it('answers 408 and closes a client that sends its body slower than allowed', async () => {
    const p = await connect(port);
    const body = JSON.stringify({ kind: 'operator', id: 'slow-body-client-with-a-long-id' });
    p.socket.write(
      `POST /auth/dev/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    void trickle(p.socket, body, 100);
    const ms = await p.closed;
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.requestMs - 100);
    expect(ms).toBeLessThan(BOUNDS.requestMs + SLACK_MS);
    expect(p.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(p.received()).toContain('"code":"HTTP_REQUEST_TIMEOUT"');
  });

  it('closes an idle kept-alive socket after its keep-alive bound', async () => {
    const p = await connect(port);
    p.socket.write('GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    while (!p.received().includes('{"status":"ok"}')) {
      await sleep(10);
    }
    p.mark();
    const ms = await p.closed;
    expect(p.received()).toMatch(/^HTTP\/1\.1 200 /);
    // Node keeps a kept-alive socket 1 s past the bound, so that a request already on its way is not cut.
    expect(ms).toBeGreaterThanOrEqual(BOUNDS.keepAliveMs - 100);
    expect(ms).toBeLessThan(BOUNDS.keepAliveMs + KEEP_ALIVE_BUFFER_MS + SLACK_MS);
  });

  it('closes a socket on which nothing moves, whatever the phase', async () => {
    const p = await connect(port);
    p.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const ms = await p.closed;
    expect(ms).toBeLessThan(BOUNDS.idleMs + SLACK_MS);
  });

  it('closes a connection that never sends a byte', async () => {
    const p = await connect(port);
    const ms = await p.closed;
    expect(ms).toBeLessThan(Math.min(BOUNDS.idleMs, BOUNDS.headersMs) + SLACK_MS);
  });

  it('lets a slow but steady upload inside the bounds through', async () => {
    const p = await connect(port);
    const body = JSON.stringify({ kind: 'operator', id: 'steady' });
    p.socket.write(
      `POST /auth/dev/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
    // 34 bytes over ~1 s: under the request bound, never idle for long.
    await trickle(p.socket, body, 30);
    await p.closed;
    expect(p.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(p.received()).toContain('access_token');
  });
});

describe('open sockets', () => {
  it('closes a new connection at once beyond OPENDMP_MAX_CONNECTIONS', async () => {
    const t = await buildTestApp({ timeouts: { ...BOUNDS, idleMs: 5_000, maxConnections: 2 } });
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const held = [await connect(port), await connect(port)];
      await sleep(50);
      const extra = await connect(port);
      const ms = await extra.closed;
      expect(ms).toBeLessThan(SLACK_MS);
      expect(held.every((p) => !p.socket.destroyed)).toBe(true);
      for (const p of held) {
        p.socket.destroy();
      }
    } finally {
      await t.close();
    }
  });
});

describe('timeout configuration', () => {
  it('has defaults that let a 20 MB deposit (28 MB in base64) through at 1 Mbit/s', () => {
    const { timeouts, maxDocumentBytes } = loadConfig({});
    const base64Bits = maxDocumentBytes * (4 / 3) * 8;
    expect(timeouts.requestMs).toBeGreaterThanOrEqual((base64Bits / 1_000_000) * 1000);
    expect(timeouts.headersMs).toBeGreaterThan(0);
    expect(timeouts.idleMs).toBeGreaterThan(0);
    expect(timeouts.keepAliveMs).toBeGreaterThan(0);
  });

  it('reads each bound from its variable and refuses headers longer than the request', () => {
    const c = loadConfig({
      OPENDMP_HEADERS_TIMEOUT_MS: '2000',
      OPENDMP_REQUEST_TIMEOUT_MS: '3000',
      OPENDMP_IDLE_TIMEOUT_MS: '4000',
      OPENDMP_KEEP_ALIVE_TIMEOUT_MS: '5000',
      OPENDMP_MAX_CONNECTIONS: '6',
    }).timeouts;
    expect(c).toEqual({
      headersMs: 2000,
      requestMs: 3000,
      idleMs: 4000,
      keepAliveMs: 5000,
      maxConnections: 6,
    });
    expect(() =>
      loadConfig({ OPENDMP_HEADERS_TIMEOUT_MS: '4000', OPENDMP_REQUEST_TIMEOUT_MS: '3000' }),
    ).toThrow(/OPENDMP_HEADERS_TIMEOUT_MS/);
  });
});
