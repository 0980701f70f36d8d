/**
 * The portals' only door to the server: same-origin fetches of the public API (/fhir, /portal-api) and of the
 * login endpoints (/auth/portal). The session is an httpOnly cookie the page cannot read; state-changing
 * requests carry the session's CSRF token in `X-CSRF-Token` (it lives in memory only).
 */
import { takePrefetched } from './boot.ts';
import { frenchError } from './errors.ts';

export const FHIR_JSON = 'application/fhir+json';
export const JSON_PATCH = 'application/json-patch+json';

let csrfToken = '';
let lastActivity = Date.now();

/** Every API call (and every key press or click) counts as activity, as the server's sliding expiry does. */
export function markActivity(): void {
  lastActivity = Date.now();
}

export function lastActivityAt(): number {
  return lastActivity;
}
const expiredListeners = new Set<() => void>();

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when the server says the session is over (401): the app goes back to its login page. */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

interface OutcomeLike {
  resourceType?: string;
  issue?: { details?: { coding?: { code?: string }[]; text?: string }; diagnostics?: string }[];
  code?: string;
  message?: string;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let explained: string | undefined;
  try {
    const body = (await response.json()) as OutcomeLike;
    const first = body.issue?.[0];
    code = first?.details?.coding?.[0]?.code ?? body.code ?? code;
    // A refused CDA is explained by the server in French with its reason (schema line, header field: issue 21
    // point 7): show its words, every issue once.
    const texts = (body.issue ?? [])
      .filter((i) => /^(CDA_|DOC_CDA_)/.test(i.details?.coding?.[0]?.code ?? ''))
      .map((i) => i.details?.text)
      .filter((t): t is string => t !== undefined && t !== '');
    if (texts.length > 0) {
      explained = [...new Set(texts)].join(' ');
    }
  } catch {
    // not JSON: keep the HTTP status code
  }
  return new ApiError(response.status, code, explained ?? frenchError(code, response.status));
}

export interface RequestOptions {
  readonly method?: string;
  /** A JSON body (serialized here). */
  readonly json?: unknown;
  readonly contentType?: string;
  readonly accept?: string;
  readonly signal?: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {
    accept: options.accept ?? `${FHIR_JSON}, application/json`,
    ...options.headers,
  };
  if (method !== 'GET' && method !== 'HEAD') {
    headers['x-csrf-token'] = csrfToken;
  }
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = options.contentType ?? FHIR_JSON;
    body = JSON.stringify(options.json);
  }
  markActivity();
  const prefetched =
    method === 'GET' && options.json === undefined ? takePrefetched(path) : undefined;
  const response = await (prefetched ??
    fetch(path, {
      method,
      headers,
      body: body ?? null,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && !path.startsWith('/auth/portal/')) {
      for (const listener of expiredListeners) {
        listener();
      }
    }
    throw error;
  }
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

export async function sendJson<T>(
  method: string,
  path: string,
  json: unknown,
  contentType: string = FHIR_JSON,
  headers?: Readonly<Record<string, string>>,
): Promise<T | undefined> {
  const response = await request(path, {
    method,
    json,
    contentType,
    ...(headers ? { headers } : {}),
  });
  if (response.status === 204) {
    return undefined;
  }
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as T);
}

export async function getBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const response = await request(path, { accept: '*/*', ...(signal ? { signal } : {}) });
  return response.blob();
}

/** Query string from defined values. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') {
      q.append(k, v);
    }
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
