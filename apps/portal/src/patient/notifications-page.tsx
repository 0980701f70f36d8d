import { useEffect, useState, type SyntheticEvent, type ReactNode } from 'react';
import { formatDate, formatDateTime } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
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
  loadInbox,
  loadPreferences,
  markInboxAllRead,
  markRead,
  savePreferences,
  titleFor,
  type InboxEntry,
  type Preferences,
} from './notifications-api.ts';
import { useRecord } from './record.tsx';

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

/** What happened, as the server resolved it (services/portal-inbox.ts N1–N2). */
function NotificationDetails({ n }: { readonly n: InboxEntry }): ReactNode {
  if (n.document !== undefined) {
    const d = n.document;
    return (
      <p className="notification-about">
        <Link to={`/documents/${d.id}`}>{d.title}</Link>
        {d.author !== undefined ? ` — ${d.author}` : ''}
        {d.date !== undefined ? `, ${formatDate(d.date)}` : ''}
      </p>
    );
  }
  if (n.emergency !== undefined) {
    const e = n.emergency;
    return (
      <div className="notification-about">
        <p>
          <strong>{e.who}</strong>
          {e.whoDetails !== '' ? `, ${e.whoDetails}` : ''}
          {` — ${e.modeLabel}, le ${formatDateTime(e.at)}`}
        </p>
        {e.justification !== undefined && <p>Justification : « {e.justification} »</p>}
        <p>
          <Link to="/historique">Voir l’historique des accès</Link>
        </p>
      </div>
    );
  }
  return null;
}

export function NotificationsPage({ onRead }: { readonly onRead: () => void }): ReactNode {
  const record = useRecord();
  const state = useAsync((signal) => loadInbox(signal), [record.identifier]);
  const list = state.data ?? [];
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
  const unreadList = list.filter((n) => n.unread && !read.has(n.id));
  const markAll = async (): Promise<void> => {
    setBusy(true);
    try {
      // One request; should more than 1,000 be unread, ask again until none is left.
      while ((await markInboxAllRead()).more) {
        // next batch
      }
      setRead((s) => new Set([...s, ...list.map((n) => n.id)]));
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
              const unread = n.unread && !read.has(n.id);
              return (
                <li key={n.id} className={`row-item${unread ? ' unread' : ''}`}>
                  <div>
                    <strong>{titleFor(n.type, n.subject, record.the)}</strong>{' '}
                    {unread && <Badge kind="info">Non lue</Badge>}{' '}
                    {n.urgent && <Badge kind="danger">Important</Badge>}
                    <p className="doc-meta">{formatDateTime(n.sent)}</p>
                    <NotificationDetails n={n} />
                    <p>{n.text}</p>
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
