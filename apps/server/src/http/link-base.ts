import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { isLoopbackHost } from '../config.ts';

/**
 * The base URL of the links an answer carries (attachment.url, paging, Location). With OPENDMP_PUBLIC_URL (required
 * in production) it is that URL, whatever the request says. Without it (demo and tests), a client that reached the
 * service on its own port under a loopback name gets links under the name it used: a FHIR client configured with
 * `http://127.0.0.1:8080` does not send its token to `http://localhost:8080`, so a link under the other name would
 * fail. Only the Host header's loopback names are followed (not X-Forwarded-Host, not any other name): a link can
 * then only point at the client's own machine.
 */
export function linkBase(
  request: FastifyRequest,
  config: Pick<Config, 'publicBaseUrl' | 'publicBaseUrlSet' | 'port'>,
): string {
  if (config.publicBaseUrlSet) {
    return config.publicBaseUrl;
  }
  const host = request.headers.host;
  if (host === undefined) {
    return config.publicBaseUrl;
  }
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(host);
  if (!m || Number(m[2]) !== config.port || !isLoopbackHost(m[1] as string)) {
    return config.publicBaseUrl;
  }
  return `http://${host.toLowerCase()}`;
}
