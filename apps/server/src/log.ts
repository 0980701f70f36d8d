import pino from 'pino';
import type { Logger } from 'pino';

/** Structured JSON logs. Never log bodies, tokens, query strings or identity traits. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'opendmp' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.access_token'],
      remove: true,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
