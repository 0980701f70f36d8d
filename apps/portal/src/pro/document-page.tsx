import { useState, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { ArchiveAndDeleteButtons } from '../shared/document-actions.tsx';
import { DocumentViewer } from '../shared/document-viewer.tsx';
import { DocumentBadges, deleteDocument, setArchived, setLabel } from '../shared/documents.tsx';
import {
  authorLine,
  display,
  docAuthors,
  docDate,
  docLabels,
  docTitle,
  firstCoding,
  isArchived,
  type DocumentReference,
} from '../shared/fhir.ts';
import { formatDate, formatDateTime } from '../shared/format.ts';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import {
  ConfirmDialog,
  ErrorMessage,
  Loading,
  messageOf,
  useAsync,
  useFlash,
} from '../shared/ui.tsx';
import { labelOf, useValueSet } from '../shared/value-sets.ts';
import { recordPath, useProRecord } from './patient-context.tsx';
import { PatientIdentity } from './patient-identity.tsx';

export function ProDocumentPage({ id }: { readonly id: string }): ReactNode {
  const { session } = useSession();
  const record = useProRecord();
  const { navigate } = useRouter();
  const types = useValueSet('J66');
  const state = useAsync(
    (signal) =>
      getJson<DocumentReference>(`/fhir/DocumentReference/${encodeURIComponent(id)}`, signal),
    [id],
  );
  const [doc, setDoc] = useState<DocumentReference | undefined>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [flash, show] = useFlash();
  const back = (
    <p>
      <Link to={recordPath(record)}>← Dossier du patient</Link>
    </p>
  );
  if (state.loading) {
    return <Loading label="Chargement du document…" />;
  }
  if (state.error !== undefined || !state.data) {
    return (
      <>
        {back}
        <h1>Document</h1>
        <ErrorMessage error={state.error} />
      </>
    );
  }
  const current = doc ?? state.data;
  const mine = docAuthors(current).some((a) => a.idNatPs === session.actor.idNatPs);
  const archived = isArchived(current);
  const masked = docLabels(current).includes('MASQUE_PS');
  // Issue 17 rule 4 (TD3.3a): the author or an authorized professional masks or unmasks at the patient's request;
  // an emergency access gives no such right.
  const emergency = session.actor.mode === 'bris_de_glace' || session.actor.mode === 'centre_15';
  const run = async (
    action: () => Promise<DocumentReference | undefined>,
    done: string,
  ): Promise<void> => {
    setBusy(true);
    try {
      const updated = await action();
      if (updated?.resourceType === 'DocumentReference') {
        setDoc(updated);
      }
      show('success', done);
    } catch (e) {
      show('error', messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {back}
      <h1>{docTitle(current)}</h1>
      <div className="status-line">
        <DocumentBadges document={current} />
      </div>
      <PatientIdentity record={record} />
      {flash}
      <div className="doc-layout">
        <div className="doc-content">
          <DocumentViewer document={current} />
        </div>
        <div className="doc-top">
          <section className="card" aria-labelledby="doc-info">
            <h2 id="doc-info">Informations</h2>
            <dl className="meta">
              <dt>Type</dt>
              <dd>{labelOf(types, firstCoding(current.type)?.code) ?? display(current.type)}</dd>
              <dt>Date</dt>
              <dd>{formatDate(docDate(current))}</dd>
              <dt>Auteur</dt>
              <dd>{authorLine(current) || '—'}</dd>
              <dt>Déposé le</dt>
              <dd>{formatDateTime(current.date ?? current.meta?.lastUpdated)}</dd>
            </dl>
          </section>
          {!emergency && current.status === 'current' && (
            <section className="card" aria-labelledby="doc-visibility">
              <h2 id="doc-visibility">Visibilité</h2>
              <p className="hint">
                {masked
                  ? 'Ce document est masqué aux professionnels : seuls son auteur et le médecin traitant le lisent.'
                  : 'À la demande du patient, vous pouvez masquer ce document aux autres professionnels ; le patient en est averti.'}
              </p>
              <div className="actions">
                <button
                  type="button"
                  className="button secondary"
                  disabled={busy}
                  onClick={() =>
                    void run(
                      () => setLabel(current, 'MASQUE_PS', !masked),
                      masked
                        ? 'Le document est de nouveau visible par les professionnels autorisés.'
                        : 'Le document est masqué aux professionnels.',
                    )
                  }
                >
                  {masked ? 'Rendre visible aux professionnels' : 'Masquer aux professionnels'}
                </button>
              </div>
            </section>
          )}
          {mine && current.status === 'current' && (
            <section className="card" aria-labelledby="doc-actions">
              <h2 id="doc-actions">Votre document</h2>
              <div className="actions">
                <Link
                  to={`${recordPath(record, '/deposer')}&remplace=${encodeURIComponent(current.id)}`}
                  className="button secondary"
                >
                  Remplacer
                </Link>
                <ArchiveAndDeleteButtons
                  archived={archived}
                  busy={busy}
                  onToggleArchive={() =>
                    void run(
                      () => setArchived(current, !archived),
                      archived ? 'Document désarchivé.' : 'Document archivé.',
                    )
                  }
                  onDelete={() => setConfirmDelete(true)}
                />
              </div>
            </section>
          )}
        </div>
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title="Supprimer ce document ?"
        confirmLabel="Supprimer"
        danger
        busy={busy}
        onConfirm={() => {
          setBusy(true);
          deleteDocument(current).then(
            () => navigate(recordPath(record)),
            (e: unknown) => {
              setBusy(false);
              setConfirmDelete(false);
              show('error', messageOf(e));
            },
          );
        }}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>Le document ne sera plus servi à personne. Pour le corriger, préférez « Remplacer ».</p>
      </ConfirmDialog>
    </>
  );
}
