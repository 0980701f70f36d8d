import type { ReactNode } from 'react';
import { DocumentList, searchDocuments } from '../shared/documents.tsx';
import { agree, formatDate, formatDateTime } from '../shared/format.ts';
import { Link } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { Alert, ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';
import {
  isUnread,
  loadNotifications,
  notificationText,
  notificationTitle,
} from './notifications-api.ts';
import { useRecord } from './record.tsx';

export function HomePage(): ReactNode {
  const { session } = useSession();
  const record = useRecord();
  const closed = record.status.status === 'closed';
  const docs = useAsync(
    (signal) => (closed ? Promise.resolve([]) : searchDocuments(record.identifier, {}, signal)),
    [record.identifier, closed],
  );
  const notes = useAsync(
    (signal) => loadNotifications(record.identifier, 'unread', signal),
    [record.identifier],
  );
  const unread = (notes.data ?? []).filter(isUnread);
  const firstName = (session.actor.name ?? '').split(' ')[0] ?? '';

  return (
    <>
      <h1>
        {record.isRepresentative ? `Dossier de ${record.holderName}` : `Bonjour ${firstName}`}
      </h1>
      {record.isRepresentative && (
        <Alert kind="info">
          Vous consultez le dossier de {record.holderFirstName}{' '}
          {agree(
            session.sex,
            'en tant que représentant légal',
            'en tant que représentante légale',
            'au titre de la représentation légale',
          )}
          . Certains documents peuvent vous être masqués par les professionnels de santé.
        </Alert>
      )}
      {closed && (
        <Alert kind="warning" title="Ce dossier est fermé">
          <p>
            Fermé le {formatDate(record.status.closureDate)} : aucun professionnel ne peut le
            consulter ni l’alimenter, et ses documents, son profil médical et ses soins remboursés
            ne sont plus consultables ici. L’historique des accès reste ouvert.
          </p>
          {record.status.deletionRequested !== undefined && (
            <p>
              Sa suppression a été demandée le {formatDate(record.status.deletionRequested)} : il
              sera supprimé définitivement dans les 3 mois au plus.
            </p>
          )}
          <p>
            <Link to="/dossier">Rouvrir le dossier ou demander sa suppression</Link>
          </p>
        </Alert>
      )}
      <div className="grid">
        <section className="card" aria-labelledby="latest-docs">
          <div className="section-head">
            <h2 id="latest-docs">Derniers documents</h2>
            <Link to="/documents">Tous les documents</Link>
          </div>
          {docs.loading ? (
            <Loading />
          ) : docs.error !== undefined ? (
            <ErrorMessage error={docs.error} />
          ) : (
            <DocumentList
              documents={(docs.data ?? []).slice(0, 5)}
              linkTo={(d) => `/documents/${d.id}`}
              empty={`${record.the.Record} ne contient pas encore de document.`}
            />
          )}
          {!closed && (
            <p>
              <Link to="/documents/ajouter" className="button secondary small">
                Ajouter un document
              </Link>
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="unread-notes">
          <div className="section-head">
            <h2 id="unread-notes">Notifications non lues</h2>
            <Link to="/notifications">Toutes les notifications</Link>
          </div>
          {notes.loading ? (
            <Loading />
          ) : notes.error !== undefined ? (
            <ErrorMessage error={notes.error} />
          ) : unread.length === 0 ? (
            <p className="muted">Aucune nouvelle notification.</p>
          ) : (
            <ul className="plain-list">
              {unread.slice(0, 5).map((n) => (
                <li key={n.id} className="row-item unread">
                  <div>
                    <strong>{notificationTitle(n, record.the)}</strong>
                    <p className="doc-meta">
                      {formatDateTime(n.sent)} — {notificationText(n)}
                    </p>
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section aria-labelledby="shortcuts">
        <h2 id="shortcuts">Vos droits sur {record.the.record}</h2>
        <div className="grid">
          <div className="card">
            <h3>Qui peut accéder</h3>
            <p>
              Autorisez ou bloquez un professionnel, choisissez{' '}
              {record.isRepresentative ? 'le' : 'votre'} médecin traitant, refusez les accès en
              urgence.
            </p>
            <Link to="/acces">Gérer les accès</Link>
          </div>
          <div className="card">
            <h3>Historique des accès</h3>
            <p>
              Chaque consultation {record.the.ofRecord} est tracée : qui, quand, quoi et dans quel
              mode.
            </p>
            <Link to="/historique">Voir l’historique</Link>
          </div>
          <div className="card">
            <h3>Mon dossier</h3>
            <p>
              {record.isRepresentative
                ? `Fermez ${record.the.record} ou rouvrez-le ; consultez les informations qui l’identifient.`
                : 'Fermez votre dossier ou rouvrez-le ; consultez les informations qui vous identifient.'}
            </p>
            <Link to="/dossier">Gérer mon dossier</Link>
          </div>
        </div>
      </section>
    </>
  );
}
