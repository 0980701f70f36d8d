import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../services/deps.ts';
import { readPreferences } from '../../domain/notifications/preferences.ts';
import { getPreferences, setPreferences } from '../../services/notifications/preferences.ts';
import type { PreferenceView } from '../../services/notifications/preferences.ts';
import { actorOf } from '../actor.ts';

function preferencesJson(p: PreferenceView): Record<string, unknown> {
  return {
    channels: p.channels,
    email: p.email,
    muted: p.muted,
    updated: p.updatedAt ? p.updatedAt.toISOString() : null,
  };
}

/**
 * The channel preferences (portal API, registered by the portal surface):
 *   GET   /portal-api/notification-preferences   → {"channels":["inbox"],"email":null,"muted":[],"updated":null}
 *   PUT   /portal-api/notification-preferences   {"channels":["inbox","email"],"email":"…","muted":["document"]}
 */
export function registerNotificationPreferenceRoutes(app: FastifyInstance, deps: Deps): void {
  app.get('/portal-api/notification-preferences', async (request, reply) => {
    const actor = actorOf(request);
    return reply.send(preferencesJson(await getPreferences(deps, actor)));
  });

  app.put('/portal-api/notification-preferences', async (request, reply) => {
    const actor = actorOf(request);
    // Read here, at the portal's edge; the use case answers the issues after its holder check.
    const input = readPreferences(request.body);
    return reply.send(preferencesJson(await setPreferences(deps, actor, input)));
  });
}
