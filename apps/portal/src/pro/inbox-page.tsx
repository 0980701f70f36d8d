/**
 * The professional's inbox (issue 21 point 2): the notifications addressed to them as médecin traitant
 * (GET /fhir/Communication, the same API as the patient's inbox, rule I3: their own only). Each names the patient —
 * by the record's identity traits (TD0.2, the lookup any opening of the record does; not in an emergency session,
 * which is for one record only) — and opens the record in this portal.
 */
import { useState, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  patientName,
  resources,
  type Bundle,
  type Communication,
  type Patient,
} from '../shared/fhir.ts';
import { formatDateTime } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { Alert, Badge, ErrorMessage, Loading, messageOf, useAsync } from '../shared/ui.tsx';
import {
  isUnread,
  isUrgent,
  markAllRead,
  notificationText,
  notificationTitle,
  notificationType,
} from '../patient/notifications-api.ts';
import { recordPath } from './patient-context.tsx';

interface Inbox {
  readonly notes: readonly Communication[];
  readonly names: ReadonlyMap<string, string>;
}

function patientOf(c: Communication): { ins: string; oid: string } | undefined {
  const id = c.subject?.identifier;
  if (id?.value === undefined) {
    return undefined;
  }
  return {
    ins: id.value,
    oid: (id.system ?? 'urn:oid:1.2.250.1.213.1.4.8').replace(/^urn:oid:/, ''),
  };
}

/** Unread notifications of the professional, for the menu badge. */
export function loadProInbox(signal?: AbortSignal): Promise<Communication[]> {
  return getJson<Bundle<Communication>>('/fhir/Communication?_count=100', signal).then(resources);
}

function proTitle(c: Communication, name: string | undefined): string {
  const patient = name ?? 'un de vos patients';
  return notificationType(c) === 'emergency.access'
    ? `Accès en urgence au dossier de ${patient}`
    : `${notificationTitle(c)}${name !== undefined ? ` — ${name}` : ''}`;
}

export function InboxPage({ onRead }: { readonly onRead: () => void }): ReactNode {
  const { session } = useSession();
  const normal = (session.actor.mode ?? 'normal') === 'normal';
  const state = useAsync(
    async (signal): Promise<Inbox> => {
      const notes = await loadProInbox(signal);
      const names = new Map<string, string>();
      if (normal) {
        const patients = [
          ...new Map(
            notes.flatMap((n) => {
              const p = patientOf(n);
              return p ? [[p.ins, p] as const] : [];
            }),
          ).values(),
        ];
        await Promise.all(
          patients.map(async (p) => {
            try {
              const bundle = await getJson<Bundle<Patient>>(
                `/fhir/Patient?identifier=${encodeURIComponent(`urn:oid:${p.oid}|${p.ins}`)}`,
                signal,
              );
              const name = patientName(resources(bundle)[0]);
              if (name !== '') {
                names.set(p.ins, name);
              }
            } catch {
              // The record may be closed or the professional blocked since: the INS is shown instead.
            }
          }),
        );
      }
      return { notes, names };
    },
    [normal],
  );
  const [read, setRead] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const notes = state.data?.notes ?? [];
  const unreadList = notes.filter((n) => isUnread(n) && !read.has(n.id));
  const mark = async (ids: readonly Communication[]): Promise<void> => {
    setBusy(true);
    try {
      const done = await markAllRead(ids.map((c) => ({ id: c.id, unread: isUnread(c) })));
      setRead((s) => new Set([...s, ...done]));
      onRead();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Notifications</h1>
      <p>
        Les accès en urgence aux dossiers des patients dont vous êtes le médecin traitant : qui,
        quand et dans quel mode. La justification est dans l’historique du dossier, que seul le
        patient consulte.
      </p>
      {error !== undefined && <Alert kind="error">{error}</Alert>}
      <div className="section-head">
        <h2>Boîte de réception</h2>
        {unreadList.length > 0 && (
          <button
            type="button"
            className="button secondary small"
            disabled={busy}
            onClick={() => void mark(unreadList)}
          >
            Tout marquer comme lu
          </button>
        )}
      </div>
      {state.loading ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : notes.length === 0 ? (
        <p className="muted">Aucune notification.</p>
      ) : (
        <ul className="plain-list" aria-label="Notifications">
          {notes.map((n) => {
            const unread = isUnread(n) && !read.has(n.id);
            const p = patientOf(n);
            const name = p ? state.data?.names.get(p.ins) : undefined;
            return (
              <li key={n.id} className={`row-item${unread ? ' unread' : ''}`}>
                <div>
                  <strong>{proTitle(n, name)}</strong>{' '}
                  {unread && <Badge kind="info">Non lue</Badge>}{' '}
                  {isUrgent(n) && <Badge kind="danger">Important</Badge>}
                  <p className="doc-meta">
                    {formatDateTime(n.sent)}
                    {p ? ` — INS ${p.ins}` : ''}
                  </p>
                  <p>{notificationText(n)}</p>
                  {p && (
                    <p>
                      <Link to={recordPath(p)}>
                        Ouvrir le dossier{name !== undefined ? ` de ${name}` : ''}
                      </Link>
                    </p>
                  )}
                </div>
                {unread && (
                  <button
                    type="button"
                    className="button secondary small"
                    disabled={busy}
                    onClick={() => void mark([n])}
                  >
                    Marquer comme lue
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}
