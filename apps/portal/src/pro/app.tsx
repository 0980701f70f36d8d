import { useEffect, useState, type ReactNode } from 'react';
import { ACCESS_MODES } from '../shared/format.ts';
import { AppShell, type NavItem } from '../shared/layout.tsx';
import { match, useRouter } from '../shared/router.tsx';
import { useSession, type SessionView } from '../shared/session.tsx';
import { messageOf } from '../shared/ui.tsx';
import { sendJson } from '../shared/api.ts';
import { labelOf, useValueSet } from '../shared/value-sets.ts';
import { DepositPage } from './deposit-page.tsx';
import { ProDocumentPage } from './document-page.tsx';
import { EmergencyPage } from './emergency-page.tsx';
import { InboxPage, loadProInbox } from './inbox-page.tsx';
import { isUnread } from '../patient/notifications-api.ts';
import { ProRecordProvider } from './patient-context.tsx';
import { ProRecordPage } from './record-page.tsx';
import { SearchPage } from './search-page.tsx';

/** Always visible while the session acts in an emergency mode. */
function EmergencyBanner(): ReactNode {
  const { session, replace } = useSession();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const mode = session.actor.mode;
  if (mode !== 'bris_de_glace' && mode !== 'centre_15') {
    return null;
  }
  const end = async (): Promise<void> => {
    setBusy(true);
    try {
      const next = await sendJson<SessionView>(
        'POST',
        '/auth/portal/emergency/end',
        {},
        'application/json',
      );
      if (next) {
        replace(next);
      }
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="banner banner-emergency" role="region" aria-label="Mode d’accès en urgence">
      <div className="container">
        <p>
          <strong>{ACCESS_MODES[mode]}</strong>
          {session.actor.emergencyIns !== undefined && (
            <> pour le dossier INS {session.actor.emergencyIns} seulement</>
          )}
          {session.actor.reason !== undefined && <> — justification : « {session.actor.reason} »</>}
          . Chaque consultation est tracée ; le patient et son médecin traitant en sont avertis.
          {error !== undefined && <> {error}</>}
        </p>
        {session.canEndEmergency && (
          <button
            type="button"
            className="button danger small"
            disabled={busy}
            onClick={() => void end()}
          >
            Quitter le mode urgence
          </button>
        )}
      </div>
    </div>
  );
}

function NotFound(): ReactNode {
  return (
    <>
      <h1>Page introuvable</h1>
      <p>Cette page n’existe pas.</p>
    </>
  );
}

export function ProApp(): ReactNode {
  const { path, search } = useRouter();
  const { session } = useSession();
  const g15 = useValueSet('G15');
  const [unread, setUnread] = useState(0);
  const [inboxTick, setInboxTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    loadProInbox(controller.signal).then(
      (notes) => setUnread(notes.filter(isUnread).length),
      () => undefined,
    );
    return () => controller.abort();
  }, [inboxTick]);
  const nav: NavItem[] = [
    { to: '/', label: 'Rechercher un patient', prefixes: ['/dossier/'] },
    { to: '/notifications', label: 'Notifications', ...(unread > 0 ? { badge: unread } : {}) },
  ];
  const oid = search.get('oid') ?? '1.2.250.1.213.1.4.8';
  let page: ReactNode;
  let params: Record<string, string> | undefined;
  const inRecord = (ins: string, node: ReactNode): ReactNode => (
    <ProRecordProvider key={`${ins}-${session.actor.mode ?? ''}`} ins={ins} oid={oid}>
      {node}
    </ProRecordProvider>
  );
  if (path === '/') {
    page = <SearchPage />;
  } else if (path === '/notifications') {
    page = <InboxPage onRead={() => setInboxTick((t) => t + 1)} />;
  } else if ((params = match('/dossier/:ins', path))) {
    page = inRecord(params['ins'] ?? '', <ProRecordPage />);
  } else if ((params = match('/dossier/:ins/deposer', path))) {
    const replaces = search.get('remplace') ?? undefined;
    page = inRecord(
      params['ins'] ?? '',
      <DepositPage {...(replaces !== undefined ? { replaces } : {})} />,
    );
  } else if ((params = match('/dossier/:ins/urgence', path))) {
    page = inRecord(params['ins'] ?? '', <EmergencyPage />);
  } else if ((params = match('/dossier/:ins/documents/:id', path))) {
    page = inRecord(
      params['ins'] ?? '',
      <ProDocumentPage key={params['id']} id={params['id'] ?? ''} />,
    );
  } else {
    page = <NotFound />;
  }
  const profession = labelOf(g15, session.actor.profession);
  return (
    <AppShell
      title="Espace professionnel"
      subtitle={profession}
      nav={nav}
      banner={<EmergencyBanner />}
    >
      {page}
    </AppShell>
  );
}
