import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { AppShell, type NavItem } from '../shared/layout.tsx';
import { match, useRouter } from '../shared/router.tsx';
import { AccessPage } from './access-page.tsx';
import { AddDocumentPage } from './add-document.tsx';
import { CareHistoryPage } from './care-history-page.tsx';
import { DocumentPage } from './document-page.tsx';
import { DocumentsPage } from './documents-page.tsx';
import { HistoryPage } from './history-page.tsx';
import { HomePage } from './home.tsx';
import { isUnread, loadNotifications } from './notifications-api.ts';
import { NotificationsPage } from './notifications-page.tsx';
import { RecordProvider, useRecord } from './record.tsx';
import { ProfilePage } from './profile-page.tsx';
import { RecordPage } from './record-page.tsx';
import { RepresentativesPage } from './representatives-page.tsx';
import { VaccinationsPage } from './vaccinations-page.tsx';

function NotFound(): ReactNode {
  return (
    <>
      <h1>Page introuvable</h1>
      <p>Cette page n’existe pas.</p>
    </>
  );
}

function useUnreadCount(): [number, () => void] {
  const record = useRecord();
  const [count, setCount] = useState(0);
  const refresh = useCallback(() => {
    loadNotifications(record.identifier, 'unread').then(
      (list) => setCount(list.filter(isUnread).length),
      () => setCount(0),
    );
  }, [record.identifier]);
  useEffect(refresh, [refresh]);
  return [count, refresh];
}

function Routes(): ReactNode {
  const { path } = useRouter();
  const record = useRecord();
  const [unread, refreshUnread] = useUnreadCount();
  const nav: NavItem[] = [
    { to: '/', label: 'Accueil' },
    { to: '/documents', label: 'Documents', prefixes: ['/documents/'] },
    { to: '/soins', label: 'Soins remboursés' },
    { to: '/profil', label: 'Profil médical' },
    { to: '/vaccinations', label: 'Vaccinations' },
    { to: '/acces', label: 'Qui peut accéder' },
    { to: '/representants', label: 'Représentants légaux' },
    { to: '/historique', label: 'Historique' },
    { to: '/notifications', label: 'Notifications', badge: unread },
    { to: '/dossier', label: 'Mon dossier' },
  ];
  let page: ReactNode;
  let params: Record<string, string> | undefined;
  if (path === '/') {
    page = <HomePage />;
  } else if (path === '/documents') {
    page = <DocumentsPage />;
  } else if (path === '/documents/ajouter') {
    page = <AddDocumentPage />;
  } else if ((params = match('/documents/:id', path))) {
    page = <DocumentPage key={params['id']} id={params['id'] ?? ''} />;
  } else if (path === '/soins') {
    page = <CareHistoryPage />;
  } else if (path === '/profil') {
    page = <ProfilePage />;
  } else if (path === '/vaccinations') {
    page = <VaccinationsPage />;
  } else if (path === '/acces') {
    page = <AccessPage />;
  } else if (path === '/representants') {
    page = <RepresentativesPage />;
  } else if (path === '/historique') {
    page = <HistoryPage />;
  } else if (path === '/notifications') {
    page = <NotificationsPage onRead={refreshUnread} />;
  } else if (path === '/dossier') {
    page = <RecordPage />;
  } else {
    page = <NotFound />;
  }
  return (
    <AppShell
      title="Mon dossier médical"
      subtitle={record.isRepresentative ? `pour le dossier de ${record.holderName}` : undefined}
      nav={nav}
    >
      {page}
    </AppShell>
  );
}

export function PatientApp(): ReactNode {
  return (
    <RecordProvider>
      <Routes />
    </RecordProvider>
  );
}
