import { useState, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { ArchiveAndDeleteButtons } from '../shared/document-actions.tsx';
import { DocumentViewer } from '../shared/document-viewer.tsx';
import { DocumentBadges, deleteDocument, setArchived, setLabel } from '../shared/documents.tsx';
import {
  authorLine,
  display,
  docDate,
  docLabels,
  docTitle,
  firstCoding,
  isArchived,
  type DocumentReference,
} from '../shared/fhir.ts';
import { formatDate, formatDateTime } from '../shared/format.ts';
import { Link, useRouter } from '../shared/router.tsx';
import {
  ConfirmDialog,
  ErrorMessage,
  Loading,
  messageOf,
  useAsync,
  useFlash,
} from '../shared/ui.tsx';
import { labelOf, useValueSet } from '../shared/value-sets.ts';
import { DocumentAudience } from './audience.tsx';

export function DocumentPage({ id }: { readonly id: string }): ReactNode {
  const { navigate } = useRouter();
  const types = useValueSet('J66');
  const classes = useValueSet('J57');
  const state = useAsync(
    (signal) =>
      getJson<DocumentReference>(`/fhir/DocumentReference/${encodeURIComponent(id)}`, signal),
    [id],
  );
  const [doc, setDoc] = useState<DocumentReference | undefined>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [flash, show] = useFlash();

  if (state.loading) {
    return <Loading label="Chargement du document…" />;
  }
  if (state.error !== undefined || !state.data) {
    return (
      <>
        <h1>Document</h1>
        <ErrorMessage error={state.error} />
        <Link to="/documents">Retour aux documents</Link>
      </>
    );
  }
  const current = doc ?? state.data;
  const masked = docLabels(current).includes('MASQUE_PS');
  const archived = isArchived(current);
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
  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await deleteDocument(current);
      navigate('/documents?supprime=1');
    } catch (e) {
      setConfirmDelete(false);
      show('error', messageOf(e));
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        <Link to="/documents">← Tous les documents</Link>
      </p>
      <h1>{docTitle(current)}</h1>
      <div className="status-line">
        <DocumentBadges document={current} />
      </div>
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
              <dt>Catégorie</dt>
              <dd>
                {labelOf(classes, firstCoding(current.category?.[0])?.code) ??
                  display(current.category?.[0])}
              </dd>
              <dt>Date</dt>
              <dd>{formatDate(docDate(current))}</dd>
              <dt>Auteur</dt>
              <dd>{authorLine(current) || '—'}</dd>
              <dt>Déposé le</dt>
              <dd>{formatDateTime(current.date ?? current.meta?.lastUpdated)}</dd>
            </dl>
          </section>
          <section className="card" aria-labelledby="doc-actions">
            <h2 id="doc-actions">Actions</h2>
            <p className="hint">
              {masked
                ? 'Ce document est masqué : seuls son auteur et votre médecin traitant peuvent le lire.'
                : 'Les professionnels autorisés peuvent lire ce document.'}
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
        </div>
        <div className="doc-bottom">
          <section className="card" aria-labelledby="doc-audience">
            <h2 id="doc-audience">Qui peut voir ce document</h2>
            <DocumentAudience
              key={`${current.id}-${current.meta?.versionId ?? ''}`}
              documentId={current.id}
            />
          </section>
        </div>
      </div>
      <ConfirmDialog
        open={confirmDelete}
        title="Supprimer ce document ?"
        confirmLabel="Supprimer définitivement"
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>
          « {docTitle(current)} » ne sera plus visible par personne, vous compris. Cette suppression
          est définitive. Pour seulement le cacher aux professionnels, choisissez plutôt « Masquer
          aux professionnels ».
        </p>
      </ConfirmDialog>
    </>
  );
}
