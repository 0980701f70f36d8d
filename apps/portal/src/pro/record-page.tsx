import { useState, type ReactNode } from 'react';
import { sendJson } from '../shared/api.ts';
import {
  deleteDocument,
  DocumentFilters,
  DocumentsByCategory,
  searchDocuments,
  setArchived,
  type DocumentFilter,
} from '../shared/documents.tsx';
import { docDate, docTitle, IDNAT_PS_SYSTEM, type DocumentReference } from '../shared/fhir.ts';
import { CLOSURE_REASONS, formatDate } from '../shared/format.ts';
import { VaccinationRecord } from '../shared/vaccinations.tsx';
import { Link } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import {
  Alert,
  Badge,
  ConfirmDialog,
  ErrorMessage,
  Loading,
  messageOf,
  useAsync,
  useFlash,
} from '../shared/ui.tsx';
import { recordPath, useProRecord } from './patient-context.tsx';
import { PatientIdentity } from './patient-identity.tsx';
import { CareSummary, ProfileSummary, ReadFirst } from './record-summary.tsx';

const VIA: Readonly<Record<string, string>> = {
  consent: 'vous avez déclaré le consentement du patient',
  'care-team': 'vous faites partie de son équipe de soins',
  'medecin-traitant': 'vous êtes son médecin traitant',
  emergency: 'accès en urgence',
};

function Documents(): ReactNode {
  const record = useProRecord();
  const { session } = useSession();
  const emergency = session.actor.mode === 'bris_de_glace' || session.actor.mode === 'centre_15';
  const [filter, setFilter] = useState<DocumentFilter>({});
  const all = useAsync(
    (signal) => searchDocuments(record.identifier, {}, signal),
    [record.identifier],
  );
  const filtered = useAsync(
    (signal) => searchDocuments(record.identifier, filter, signal),
    [record.identifier, filter],
  );
  const documents = (
    <section aria-labelledby="docs-title">
      <div className="section-head">
        <h2 id="docs-title">Documents du dossier</h2>
        <Link to={recordPath(record, '/deposer')} className="button primary">
          Déposer un document
        </Link>
      </div>
      <DocumentFilters all={all.data ?? []} value={filter} onChange={setFilter} />
      <div aria-live="polite">
        {filtered.loading ? (
          <Loading />
        ) : filtered.error !== undefined ? (
          <ErrorMessage error={filtered.error} />
        ) : (filtered.data ?? []).length === 0 ? (
          <p className="muted">Aucun document accessible.</p>
        ) : (
          <DocumentsByCategory
            documents={filtered.data ?? []}
            linkTo={(d) => recordPath(record, `/documents/${d.id}`)}
          />
        )}
      </div>
    </section>
  );
  // Issue 21 point 3: the whole record beside the documents; in an emergency the profile (allergies and
  // treatments first) before anything else.
  const main = (
    <div className="record-main" key="main">
      {all.data !== undefined && <ReadFirst documents={all.data} />}
      {documents}
      <div className="card">
        <VaccinationRecord
          identifier={record.identifier}
          viewer="professional"
          documentPath={(id) => recordPath(record, `/documents/${id}`)}
          canRecord={!emergency}
        />
      </div>
    </div>
  );
  const side = (
    <aside className="record-side" key="side" aria-label="Profil médical et historique des soins">
      <ProfileSummary emergency={emergency} />
      <CareSummary />
    </aside>
  );
  return (
    <div className={emergency ? 'record-layout emergency' : 'record-layout'}>
      {emergency ? [side, main] : [main, side]}
    </div>
  );
}

/**
 * Issue 17 rule 5 (TD3.1b, TD3.3c NB1): without an authorization, the documents the professional wrote are found
 * (their metadata, not their content) so that they can be replaced, archived or deleted.
 */
function OwnDocuments(): ReactNode {
  const record = useProRecord();
  const { session } = useSession();
  const idNatPs = session.actor.idNatPs ?? '';
  const [flash, show] = useFlash();
  const [busy, setBusy] = useState(false);
  const [toDelete, setToDelete] = useState<DocumentReference | undefined>();
  const state = useAsync(
    (signal) => searchDocuments(record.identifier, { author: idNatPs }, signal),
    [record.identifier, idNatPs],
  );
  const run = async (
    action: () => Promise<DocumentReference | undefined>,
    done: string,
  ): Promise<void> => {
    setBusy(true);
    try {
      await action();
      show('success', done);
      state.reload();
    } catch (e) {
      show('error', messageOf(e));
    } finally {
      setBusy(false);
      setToDelete(undefined);
    }
  };
  const docs = state.data ?? [];
  return (
    <section aria-labelledby="own-docs">
      <h3 id="own-docs">Vos documents dans ce dossier</h3>
      <p className="hint">
        Vous retrouvez sans autorisation les documents que vous avez déposés, pour les remplacer,
        les archiver ou les supprimer ; leur contenu n’est consultable qu’avec une autorisation.
      </p>
      {flash}
      {state.loading ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : docs.length === 0 ? (
        <p className="muted">Aucun document déposé par vous dans ce dossier.</p>
      ) : (
        <ul className="doc-list">
          {docs.map((d) => (
            <li key={d.id} className="doc-item">
              <div>
                <strong>{docTitle(d)}</strong>
                <p className="doc-meta">{formatDate(docDate(d))}</p>
              </div>
              <div className="actions">
                <Link
                  to={`${recordPath(record, '/deposer')}&remplace=${encodeURIComponent(d.id)}`}
                  className="button secondary small"
                >
                  Remplacer
                </Link>
                <button
                  type="button"
                  className="button secondary small"
                  disabled={busy}
                  onClick={() => void run(() => setArchived(d, true), 'Document archivé.')}
                >
                  Archiver
                </button>
                <button
                  type="button"
                  className="button danger small"
                  disabled={busy}
                  onClick={() => setToDelete(d)}
                >
                  Supprimer
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={toDelete !== undefined}
        title="Supprimer ce document ?"
        confirmLabel="Supprimer"
        danger
        busy={busy}
        onConfirm={() => {
          if (toDelete) {
            void run(() => deleteDocument(toDelete), 'Document supprimé.');
          }
        }}
        onCancel={() => setToDelete(undefined)}
      >
        <p>La suppression est définitive : le document ne sera plus servi à personne.</p>
      </ConfirmDialog>
    </section>
  );
}

export function ProRecordPage(): ReactNode {
  const { session } = useSession();
  const record = useProRecord();
  const [flash, show] = useFlash();
  const [declare, setDeclare] = useState(false);
  const [agreed, setAgreed] = useState(false);
  const [busy, setBusy] = useState(false);
  const emergency = session.actor.mode === 'bris_de_glace' || session.actor.mode === 'centre_15';

  if (!record.patient) {
    return (
      <>
        <h1>Aucun dossier</h1>
        <Alert kind="info">
          Aucun dossier médical partagé n’existe pour l’INS {record.ins}. Le patient peut en ouvrir
          un depuis son espace santé.
        </Alert>
        <Link to="/">Nouvelle recherche</Link>
      </>
    );
  }
  const status = record.status;
  const standing = record.standing;
  const closed = status?.status === 'closed';
  const authorized = standing?.authorized === true;
  const blocked = standing?.blocked === true;

  const declareConsent = async (): Promise<void> => {
    setBusy(true);
    try {
      const [system, value] = record.identifier.split('|');
      await sendJson('POST', '/fhir/Consent', {
        resourceType: 'Consent',
        status: 'active',
        scope: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/consentscope',
              code: 'patient-privacy',
            },
          ],
        },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { identifier: { system, value } },
        dateTime: new Date().toISOString(),
        provision: {
          type: 'permit',
          actor: [
            {
              role: {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
                    code: 'PRCP',
                  },
                ],
              },
              reference: { identifier: { system: IDNAT_PS_SYSTEM, value: session.actor.idNatPs } },
            },
          ],
        },
      });
      setDeclare(false);
      setAgreed(false);
      show(
        'success',
        'Le consentement du patient est enregistré : vous pouvez consulter son dossier.',
      );
      record.reload();
    } catch (e) {
      show('error', messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        <Link to="/">← Nouvelle recherche</Link>
      </p>
      <h1>Dossier du patient {record.ins}</h1>
      <PatientIdentity record={record} />
      {flash}
      <section className="card" aria-labelledby="status-title">
        <h2 id="status-title">État du dossier et vos droits</h2>
        <dl className="meta">
          <dt>Dossier</dt>
          <dd>
            {closed ? (
              <>
                <Badge kind="warning">Fermé</Badge> depuis le {formatDate(status?.closureDate)}{' '}
                {status?.closureReason !== undefined
                  ? (CLOSURE_REASONS[status.closureReason] ?? '').replace(
                      'à votre demande',
                      'à la demande du patient',
                    )
                  : ''}
              </>
            ) : (
              <Badge kind="success">Actif</Badge>
            )}
          </dd>
          <dt>Votre accès</dt>
          <dd>
            {blocked ? (
              <Badge kind="danger">Le patient vous a bloqué</Badge>
            ) : authorized ? (
              <>
                <Badge kind="success">Autorisé</Badge>{' '}
                {standing?.authorizedVia !== undefined
                  ? `(${VIA[standing.authorizedVia] ?? standing.authorizedVia})`
                  : ''}
              </>
            ) : emergency ? (
              <Badge kind="danger">Accès en urgence</Badge>
            ) : (
              <Badge>Non autorisé</Badge>
            )}
          </dd>
          {standing?.medecinTraitant === true && (
            <>
              <dt>Médecin traitant</dt>
              <dd>Vous êtes le médecin traitant de ce patient.</dd>
            </>
          )}
          <dt>Accès en urgence</dt>
          <dd>
            {standing?.brisDeGlace === true
              ? 'possible (bris de glace)'
              : 'impossible (le patient s’y est opposé ou vous a bloqué)'}
            {session.actor.regulator === true &&
              (standing?.centre15 === true ? ' · centre 15 possible' : ' · centre 15 impossible')}
          </dd>
        </dl>
        {!closed && !blocked && !authorized && !emergency && (
          <div className="actions">
            <button type="button" className="button primary" onClick={() => setDeclare(true)}>
              Déclarer le consentement du patient
            </button>
            {(standing?.brisDeGlace === true || standing?.centre15 === true) && (
              <Link to={recordPath(record, '/urgence')} className="button danger">
                Accès en urgence…
              </Link>
            )}
          </div>
        )}
      </section>
      {closed ? (
        <Alert kind="warning">Ce dossier est fermé : il n’est ni consultable ni alimentable.</Alert>
      ) : blocked ? (
        <Alert kind="warning">
          Le patient a bloqué votre accès : vous ne pouvez ni consulter ni alimenter son dossier.
        </Alert>
      ) : authorized || emergency ? (
        <Documents />
      ) : (
        <section className="card" aria-labelledby="deposit-only">
          <h2 id="deposit-only">Alimenter le dossier</h2>
          <p>
            Sans autorisation, vous pouvez déposer un document dans ce dossier, mais pas consulter
            ceux qui s’y trouvent.
          </p>
          <Link to={recordPath(record, '/deposer')} className="button secondary">
            Déposer un document
          </Link>
          <OwnDocuments />
        </section>
      )}
      <ConfirmDialog
        open={declare}
        title="Déclarer le consentement du patient"
        confirmLabel="Déclarer le consentement"
        busy={busy}
        confirmDisabled={!agreed}
        onConfirm={() => void declareConsent()}
        onCancel={() => {
          setDeclare(false);
          setAgreed(false);
        }}
      >
        <p>
          Vous déclarez que le patient, dûment informé, vous autorise à consulter et alimenter son
          dossier médical partagé. Cette déclaration est tracée et visible par le patient, qui peut
          la retirer à tout moment.
        </p>
        <div className="check">
          <input
            id="consent-agreed"
            type="checkbox"
            checked={agreed}
            onChange={(e) => setAgreed(e.target.checked)}
          />
          <label htmlFor="consent-agreed">Le patient m’a donné son accord.</label>
        </div>
      </ConfirmDialog>
    </>
  );
}
