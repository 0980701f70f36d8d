import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../services/deps.ts';
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
    return reply.send(preferencesJson(await setPreferences(deps, actor, request.body)));
  });
}
