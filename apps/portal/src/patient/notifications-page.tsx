import { useEffect, useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  authorLine,
  docDate,
  docTitle,
  resources,
  type Bundle,
  type DocumentReference,
} from '../shared/fhir.ts';
import { formatDate, formatDateTime } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
import type { HistoryEntry } from './history-page.tsx';
import {
  Alert,
  Badge,
  ErrorMessage,
  Loading,
  messageOf,
  useAsync,
  useFlash,
} from '../shared/ui.tsx';
import {
  aboutDocument,
  isUnread,
  isUrgent,
  markAllRead,
  notificationType,
  loadNotifications,
  loadPreferences,
  markRead,
  notificationText,
  notificationTitle,
  savePreferences,
  type Preferences,
} from './notifications-api.ts';
import { useRecord } from './record.tsx';
import type { Communication } from '../shared/fhir.ts';

/** Notification types the patient may mute (emergency accesses and pending documents are always sent). */
const MUTABLE: readonly { code: string; label: string }[] = [
  { code: 'document', label: 'Les nouveaux documents' },
  { code: 'authorization', label: 'Les autorisations données ou retirées' },
  { code: 'block', label: 'Les blocages et déblocages de professionnels' },
  { code: 'record', label: 'La fermeture ou la réouverture du dossier' },
];

function PreferencesForm(): ReactNode {
  const state = useAsync((signal) => loadPreferences(signal), []);
  const [draft, setDraft] = useState<Preferences | undefined>();
  const [flash, show] = useFlash();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (state.data) {
      setDraft(state.data);
    }
  }, [state.data]);
  if (state.loading) {
    return <Loading />;
  }
  if (state.error !== undefined || !draft) {
    return <ErrorMessage error={state.error} />;
  }
  const email = draft.channels.includes('email');
  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    try {
      const saved = await savePreferences({
        channels: draft.channels,
        email: draft.email,
        muted: draft.muted,
      });
      if (saved) {
        setDraft(saved);
      }
      show('success', 'Vos préférences sont enregistrées.');
    } catch (err) {
      show('error', messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (list: readonly string[], code: string, on: boolean): string[] =>
    on ? [...new Set([...list, code])] : list.filter((c) => c !== code);
  return (
    <form onSubmit={(e) => void submit(e)}>
      {flash}
      <fieldset>
        <legend>Recevoir les notifications</legend>
        <div className="check">
          <input id="pref-inbox" type="checkbox" checked disabled />
          <label htmlFor="pref-inbox">Dans cet espace (toujours)</label>
        </div>
        <div className="check">
          <input
            id="pref-email"
            type="checkbox"
            checked={email}
            onChange={(e) =>
              setDraft({ ...draft, channels: toggle(draft.channels, 'email', e.target.checked) })
            }
          />
          <label htmlFor="pref-email">Par courriel</label>
        </div>
        {email && (
          <div className="field">
            <label htmlFor="pref-address">Adresse électronique</label>
            <input
              id="pref-address"
              type="text"
              inputMode="email"
              autoComplete="email"
              value={draft.email ?? ''}
              onChange={(e) => setDraft({ ...draft, email: e.target.value })}
            />
          </div>
        )}
      </fieldset>
      <fieldset>
        <legend>Ne pas me prévenir pour</legend>
        <p className="hint">
          Les accès en urgence et les documents en attente vous sont toujours signalés.
        </p>
        {MUTABLE.map((m) => (
          <div key={m.code} className="check">
            <input
              id={`mute-${m.code}`}
              type="checkbox"
              checked={draft.muted.includes(m.code)}
              onChange={(e) =>
                setDraft({ ...draft, muted: toggle(draft.muted, m.code, e.target.checked) })
              }
            />
            <label htmlFor={`mute-${m.code}`}>{m.label}</label>
          </div>
        ))}
      </fieldset>
      <button type="submit" className="button primary" disabled={busy}>
        Enregistrer mes préférences
      </button>
    </form>
  );
}

/**
 * What a notification is about, read with the API the portal already uses: the documents of the record (one
 * DocumentReference search, the latest 100, then a read by id of each document a notification names that the search
 * did not bring — an older one, or one whose id changed since the notice: a mask or an archive gives a document a new
 * id, and its earlier ids still name it, ADR 0021) and the emergency accesses of the history (GET
 * /portal-api/history, show=emergency). Documents are keyed by the id the notification names. The inbox text stays
 * the server's (and e-mails stay without any clinical word).
 */
interface Details {
  readonly documents: ReadonlyMap<string, DocumentReference>;
  readonly emergencies: readonly HistoryEntry[];
}

/** At most this many documents are read one by one for a page of notifications (the page shows the latest ones). */
const MAX_READS_BY_ID = 50;

async function loadDetails(
  identifier: string,
  named: readonly string[],
  wantEmergencies: boolean,
  signal: AbortSignal,
): Promise<Details> {
  const [docs, history] = await Promise.all([
    getJson<Bundle<DocumentReference>>(
      `/fhir/DocumentReference?patient.identifier=${encodeURIComponent(identifier)}&_count=100`,
      signal,
    ),
    wantEmergencies
      ? getJson<{ entries: HistoryEntry[] }>('/portal-api/history?show=emergency&_count=50', signal)
      : Promise.resolve({ entries: [] }),
  ]);
  const documents = new Map(resources(docs).map((d) => [d.id, d]));
  const missing = [...new Set(named)].filter((id) => !documents.has(id)).slice(0, MAX_READS_BY_ID);
  const read = await Promise.all(
    missing.map((id) =>
      getJson<DocumentReference>(`/fhir/DocumentReference/${encodeURIComponent(id)}`, signal).then(
        (doc) => [id, doc] as const,
        // Deleted, or hidden from the reader since the notice: the notification keeps its own text only.
        () => undefined,
      ),
    ),
  );
  for (const entry of read) {
    if (entry !== undefined) {
      documents.set(entry[0], entry[1]);
    }
  }
  return { documents, emergencies: history.entries };
}

/** The emergency trace closest in time to the notice (the notice is written with the access, in its transaction). */
function emergencyOf(n: Communication, entries: readonly HistoryEntry[]): HistoryEntry | undefined {
  const at = Date.parse(n.sent ?? '');
  let best: HistoryEntry | undefined;
  let gap = 120_000;
  for (const e of entries) {
    const d = Math.abs(Date.parse(e.at) - at);
    if (d <= gap) {
      gap = d;
      best = e;
    }
  }
  return best;
}

function NotificationDetails({
  n,
  details,
}: {
  readonly n: Communication;
  readonly details: Details | undefined;
}): ReactNode {
  const docId = aboutDocument(n);
  const doc = docId !== undefined ? details?.documents.get(docId) : undefined;
  if (doc !== undefined) {
    const author = authorLine(doc);
    return (
      <p className="notification-about">
        <Link to={`/documents/${doc.id}`}>{docTitle(doc)}</Link>
        {author !== '' ? ` — ${author}` : ''}
        {docDate(doc) !== undefined ? `, ${formatDate(docDate(doc))}` : ''}
      </p>
    );
  }
  if (notificationType(n) === 'emergency.access' && details !== undefined) {
    const e = emergencyOf(n, details.emergencies);
    if (e !== undefined) {
      return (
        <div className="notification-about">
          <p>
            <strong>{e.who}</strong>
            {e.whoDetails !== '' ? `, ${e.whoDetails}` : ''}
            {` — ${e.modeLabel ?? 'Accès en urgence'}, le ${formatDateTime(e.at)}`}
          </p>
          {e.justification !== undefined && <p>Justification : « {e.justification} »</p>}
          <p>
            <Link to="/historique">Voir l’historique des accès</Link>
          </p>
        </div>
      );
    }
  }
  return null;
}

export function NotificationsPage({ onRead }: { readonly onRead: () => void }): ReactNode {
  const record = useRecord();
  const state = useAsync(
    (signal) => loadNotifications(record.identifier, 'all', signal),
    [record.identifier],
  );
  const list = state.data ?? [];
  const wantEmergencies = list.some((n) => notificationType(n) === 'emergency.access');
  const named = list.map(aboutDocument).filter((id): id is string => id !== undefined);
  const namedKey = named.join(',');
  const details = useAsync(
    (signal) =>
      list.length === 0
        ? Promise.resolve(undefined)
        : loadDetails(record.identifier, named, wantEmergencies, signal),
    [record.identifier, list.length, wantEmergencies, namedKey],
  );
  const [read, setRead] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const mark = async (id: string): Promise<void> => {
    try {
      await markRead(id);
      setRead((s) => new Set([...s, id]));
      onRead();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const unreadList = list.filter((n) => isUnread(n) && !read.has(n.id));
  const markAll = async (): Promise<void> => {
    setBusy(true);
    try {
      const done = await markAllRead(unreadList);
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
      {error !== undefined && <Alert kind="error">{error}</Alert>}
      <section aria-labelledby="inbox-title">
        <div className="section-head">
          <h2 id="inbox-title">Boîte de réception</h2>
          {unreadList.length > 0 && (
            <button
              type="button"
              className="button secondary small"
              disabled={busy}
              onClick={() => void markAll()}
            >
              Tout marquer comme lu
            </button>
          )}
        </div>
        {state.loading ? (
          <Loading />
        ) : state.error !== undefined ? (
          <ErrorMessage error={state.error} />
        ) : list.length === 0 ? (
          <p className="muted">Aucune notification.</p>
        ) : (
          <ul className="plain-list">
            {list.map((n) => {
              const unread = isUnread(n) && !read.has(n.id);
              return (
                <li key={n.id} className={`row-item${unread ? ' unread' : ''}`}>
                  <div>
                    <strong>{notificationTitle(n, record.the)}</strong>{' '}
                    {unread && <Badge kind="info">Non lue</Badge>}{' '}
                    {isUrgent(n) && <Badge kind="danger">Important</Badge>}
                    <p className="doc-meta">{formatDateTime(n.sent)}</p>
                    <NotificationDetails n={n} details={details.data} />
                    <p>{notificationText(n)}</p>
                  </div>
                  {unread && (
                    <button
                      type="button"
                      className="button secondary small"
                      onClick={() => void mark(n.id)}
                    >
                      Marquer comme lue
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="prefs-title">
        <h2 id="prefs-title">Préférences</h2>
        <PreferencesForm />
      </section>
    </>
  );
}
