import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainFailure } from '../domain/errors.ts';
import type { DomainIssue, ErrorKind } from '../domain/errors.ts';
import { operationOutcome, STATUS } from './operation-outcome.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable.ts';
import { loggableError } from '../loggable-error.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * Errors the router raises before any route or hook runs (Fastify's `frameworkErrors`): a path that is not valid
 * percent-encoded UTF-8 (400 HTTP_URL_INVALID), a path parameter over the router's length limit (414
 * HTTP_URL_TOO_LONG), anything else there (400 HTTP_REQUEST_INVALID).
 */
export function frameworkErrorHandler(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const [status, issue]: [number, DomainIssue] =
    error.code === 'FST_ERR_BAD_URL'
      ? [400, { code: 'HTTP_URL_INVALID', message: 'The URL is not valid percent-encoded UTF-8.' }]
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? [414, { code: 'HTTP_URL_TOO_LONG', message: 'A path segment of the URL is too long.' }]
        : [400, { code: 'HTTP_REQUEST_INVALID', message: 'The request could not be processed.' }];
  void reply
    .code(status)
    .type(FHIR_JSON)
    .send(operationOutcome('invalid', [issue]));
}

/**
 * Maps an error to an OperationOutcome; never sends a stack trace. The error handler of the FHIR API, and of the
 * surfaces whose clients read OperationOutcomes too (portal API, auth, admin; app.ts).
 */
export function operationOutcomeError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  let kind: ErrorKind;
  let issues: readonly DomainIssue[];
  if (error instanceof DomainFailure) {
    kind = error.error.kind;
    issues = error.error.issues ?? [error.error];
  } else {
    const fe = error as FastifyError;
    switch (fe.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        kind = 'too-large';
        issues = [
          { code: 'HTTP_BODY_TOO_LARGE', message: 'The request body exceeds the size limit.' },
        ];
        break;
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        kind = 'unsupported-media';
        issues = [
          {
            code: 'HTTP_MEDIA_TYPE',
            message:
              'Unsupported Content-Type; send application/fhir+json (or application/json-patch+json for PATCH).',
          },
        ];
        break;
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        kind = 'invalid';
        issues = [{ code: 'HTTP_BODY_NOT_JSON', message: 'The request body is not valid JSON.' }];
        break;
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        kind = 'invalid';
        issues = [
          {
            code: 'HTTP_BODY_LENGTH',
            message: 'The request body does not match its Content-Length.',
          },
        ];
        break;
      default:
        if (fe.validation) {
          kind = 'invalid';
          issues = [{ code: 'HTTP_REQUEST_INVALID', message: fe.message }];
        } else if (
          typeof fe.statusCode === 'number' &&
          fe.statusCode >= 400 &&
          fe.statusCode < 500
        ) {
          kind =
            fe.statusCode === 413
              ? 'too-large'
              : fe.statusCode === 415
                ? 'unsupported-media'
                : 'invalid';
          issues = [
            { code: 'HTTP_REQUEST_INVALID', message: 'The request could not be processed.' },
          ];
        } else if (isDatabaseUnavailable(error)) {
          // PostgreSQL is down or restarting: the pool reconnects by itself; the client retries later.
          request.log.warn({ code: fe.code }, 'database unavailable');
          kind = 'unavailable';
          issues = [
            {
              code: 'DATABASE_UNAVAILABLE',
              message: 'The database is temporarily unavailable; retry after Retry-After seconds.',
            },
          ];
          void reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
        } else {
          request.log.error({ err: loggableError(error) }, 'internal error');
          void reply
            .code(500)
            .type(FHIR_JSON)
            .send({
              resourceType: 'OperationOutcome',
              issue: [
                {
                  severity: 'fatal',
                  code: 'exception',
                  diagnostics: 'Internal error; it was logged.',
                },
              ],
            });
          return;
        }
    }
  }
  void reply.code(STATUS[kind]).type(FHIR_JSON).send(operationOutcome(kind, issues));
}

/** The answer to a URL no surface serves: 404 HTTP_NOT_FOUND. */
export function notFoundOutcome(_request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(404)
    .type(FHIR_JSON)
    .send(
      operationOutcome('not-found', [
        { code: 'HTTP_NOT_FOUND', message: 'No such endpoint or resource.' },
      ]),
    );
}

/** OperationOutcome errors and 404s on `app` (the root instance's fallback; small apps in tests). */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(operationOutcomeError);
  app.setNotFoundHandler(notFoundOutcome);
}
