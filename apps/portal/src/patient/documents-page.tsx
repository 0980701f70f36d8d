import { useState, type ReactNode } from 'react';
import {
  DocumentFilters,
  DocumentsByCategory,
  searchDocuments,
  type DocumentFilter,
} from '../shared/documents.tsx';
import { Link, useRouter } from '../shared/router.tsx';
import { Alert, ErrorMessage, Loading, useAsync } from '../shared/ui.tsx';
import { DownloadAllLink } from './download-all.tsx';
import { useRecord } from './record.tsx';

export function DocumentsPage(): ReactNode {
  const record = useRecord();
  const { search } = useRouter();
  const [filter, setFilter] = useState<DocumentFilter>({});
  const closed = record.status.status === 'closed';
  // A closed record serves no document: do not ask.
  const all = useAsync(
    (signal) => (closed ? Promise.resolve([]) : searchDocuments(record.identifier, {}, signal)),
    [record.identifier, closed],
  );
  const filtered = useAsync(
    (signal) => (closed ? Promise.resolve([]) : searchDocuments(record.identifier, filter, signal)),
    [record.identifier, filter, closed],
  );
  const active = Object.values(filter).some((v) => v !== undefined && v !== '' && v !== false);
  return (
    <>
      <div className="section-head">
        <h1>Documents</h1>
        {!closed && (
          <div className="actions compact">
            <Link to="/documents/ajouter" className="button primary">
              Ajouter un document
            </Link>
            <DownloadAllLink />
          </div>
        )}
      </div>
      {search.get('supprime') === '1' && <Alert kind="success">Le document a été supprimé.</Alert>}
      {closed && (
        <Alert kind="warning">
          Ce dossier est fermé : ses documents ne sont plus consultables.
        </Alert>
      )}
      <DocumentFilters all={all.data ?? []} value={filter} onChange={setFilter} />
      <div aria-live="polite">
        {filtered.loading ? (
          <Loading />
        ) : filtered.error !== undefined ? (
          <ErrorMessage error={filtered.error} />
        ) : (filtered.data ?? []).length === 0 ? (
          <p className="muted">
            {active ? 'Aucun document ne correspond à ces critères.' : 'Aucun document.'}
          </p>
        ) : (
          <>
            <p className="muted">
              {(filtered.data ?? []).length} document{(filtered.data ?? []).length > 1 ? 's' : ''}
            </p>
            <DocumentsByCategory
              documents={filtered.data ?? []}
              linkTo={(d) => `/documents/${d.id}`}
            />
          </>
        )}
      </div>
    </>
  );
}
