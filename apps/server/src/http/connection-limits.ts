/**
 * Timeouts on every phase of a connection (issue 16, finding 6), so that a slow or silent client cannot hold a
 * socket forever:
 *
 *   headers     the request line and headers must be complete within `headersMs` of the request's first byte
 *               (a fresh connection that sends nothing is closed at that bound too) → 408
 *   request     the whole request, body included, within `requestMs` → 408 (the answer's own time is not counted)
 *   idle        a socket on which no byte moves for `idleMs` is closed, whatever the phase
 *   keep-alive  a kept-alive socket that sends no next request within `keepAliveMs` is closed
 *   sockets     at most `maxConnections` open at once; beyond, a new connection is closed as soon as accepted
 *
 * Node checks the headers and request deadlines on a timer; the timer runs at a quarter of the shorter deadline
 * (at most every 5 s) so that each deadline is met within a quarter of itself.
 *
 * Connection-level errors (a timeout before any route ran, headers too large, unparsable HTTP) are answered by
 * {@link clientErrorHandler} with an OperationOutcome, as every other error.
 */
import { frenchIssueText } from './error-text-fr.ts';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import type { TimeoutConfig } from '../config.ts';
import { OPENDMP_ERROR_SYSTEM } from './operation-outcome.ts';

const MAX_CHECK_INTERVAL_MS = 5_000;
const MIN_CHECK_INTERVAL_MS = 50;

/** How often Node looks for requests past their headers or request deadline. */
export function checkingIntervalMs(
  timeouts: Pick<TimeoutConfig, 'headersMs' | 'requestMs'>,
): number {
  const deadlines = [timeouts.headersMs, timeouts.requestMs].filter((ms) => ms > 0);
  if (deadlines.length === 0) {
    return MAX_CHECK_INTERVAL_MS;
  }
  const quarter = Math.floor(Math.min(...deadlines) / 4);
  return Math.min(MAX_CHECK_INTERVAL_MS, Math.max(MIN_CHECK_INTERVAL_MS, quarter));
}

/** The Fastify options that set the timeouts (Fastify treats 0 as "its default" for the keep-alive one). */
export function timeoutOptions(timeouts: TimeoutConfig): Pick<
  FastifyServerOptions,
  'connectionTimeout' | 'keepAliveTimeout' | 'requestTimeout' | 'clientErrorHandler'
> & {
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number };
} {
  return {
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: checkingIntervalMs(timeouts),
    },
    clientErrorHandler,
  };
}

function answer(status: number, issueType: string, code: string, message: string): string {
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: issueType,
        details: {
          coding: [{ system: OPENDMP_ERROR_SYSTEM, code }],
          text: frenchIssueText(code, undefined),
        },
        diagnostics: message,
      },
    ],
  });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/fhir+json; charset=utf-8',
    'Cache-Control: no-store',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Answers a connection-level error with an OperationOutcome and closes the socket. */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  let response: string;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    response = answer(
      408,
      'timeout',
      'HTTP_REQUEST_TIMEOUT',
      'The request was not received in time; the connection is closed.',
    );
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    response = answer(
      431,
      'too-costly',
      'HTTP_HEADERS_TOO_LARGE',
      'The request headers exceed the size limit.',
    );
  } else {
    response = answer(400, 'invalid', 'HTTP_BAD_REQUEST', 'The request is not valid HTTP.');
  }
  // A request can time out while an earlier answer on the same socket is still being written: never interleave.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    socket.end(response);
  } else {
    socket.destroy();
  }
}
