/**
 * "Mon dossier": identity, status, closure ($close) saying exactly what closing changes (issue 21 point 7), reopening
 * ($reopen) and the deletion request ($request-deletion: the record is closed if open, then purged within three
 * months; reopening cancels the request).
 */
import { useState, type ReactNode } from 'react';
import { sendJson } from '../shared/api.ts';
import { CLOSURE_REASONS, formatDate } from '../shared/format.ts';
import { Alert, Badge, ConfirmDialog, messageOf, useFlash } from '../shared/ui.tsx';
import { DownloadAllLink } from './download-all.tsx';
import { useRecord } from './record.tsx';

export function RecordPage(): ReactNode {
  const record = useRecord();
  const { patient, status } = record;
  const [confirmClose, setConfirmClose] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteUnderstood, setDeleteUnderstood] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [flash, show] = useFlash();
  const closed = status.status === 'closed';
  const name = patient.name?.[0];

  const change = async (operation: '$close' | '$reopen' | '$request-deletion'): Promise<void> => {
    setBusy(true);
    try {
      await sendJson('POST', `/fhir/Patient/${encodeURIComponent(patient.id)}/${operation}`, {
        resourceType: 'Parameters',
        parameter: operation === '$close' ? [{ name: 'reason', valueCode: 'holder-request' }] : [],
      });
      setConfirmClose(false);
      setUnderstood(false);
      setConfirmDelete(false);
      setDeleteUnderstood(false);
      show(
        'success',
        operation === '$close'
          ? 'Le dossier est fermé.'
          : operation === '$reopen'
            ? 'Le dossier est rouvert.'
            : 'La suppression du dossier est demandée.',
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
      <h1>{record.isRepresentative ? `Le dossier de ${record.holderName}` : 'Mon dossier'}</h1>
      {flash}
      <section className="card" aria-labelledby="identity-title">
        <h2 id="identity-title">Identité</h2>
        <dl className="meta">
          <dt>Nom de naissance</dt>
          <dd>{name?.family ?? '—'}</dd>
          <dt>Prénoms</dt>
          <dd>{name?.given?.join(' ') ?? '—'}</dd>
          <dt>Date de naissance</dt>
          <dd>{formatDate(patient.birthDate)}</dd>
          <dt>Sexe</dt>
          <dd>
            {patient.gender === 'female' ? 'Féminin' : patient.gender === 'male' ? 'Masculin' : '—'}
          </dd>
          <dt>Identifiant national de santé (INS)</dt>
          <dd>{record.ins}</dd>
          <dt>État du dossier</dt>
          <dd>
            {closed ? <Badge kind="warning">Fermé</Badge> : <Badge kind="success">Ouvert</Badge>}
          </dd>
        </dl>
      </section>
      {closed ? (
        <section className="card" aria-labelledby="reopen-title">
          <h2 id="reopen-title">Rouvrir le dossier</h2>
          <p>
            Ce dossier a été fermé le {formatDate(status.closureDate)}
            {status.closureReason !== undefined
              ? ` ${CLOSURE_REASONS[status.closureReason] ?? ''}`
              : ''}
            . Les documents sont conservés : en le rouvrant, vous retrouvez votre dossier tel qu’il
            était, et les professionnels autorisés peuvent de nouveau le consulter et l’alimenter.
          </p>
          {status.deletionRequested !== undefined && (
            <Alert kind="warning" title="Suppression demandée">
              <p>
                La suppression a été demandée le {formatDate(status.deletionRequested)} : le dossier
                sera supprimé définitivement dans les 3 mois au plus. Le rouvrir annule la demande.
              </p>
            </Alert>
          )}
          <button
            type="button"
            className="button primary"
            disabled={busy}
            onClick={() => void change('$reopen')}
          >
            Rouvrir le dossier
          </button>
        </section>
      ) : (
        <section className="card" aria-labelledby="close-title">
          <h2 id="close-title">Fermer le dossier</h2>
          <p>Ce que la fermeture change, exactement :</p>
          <h3>Pour les professionnels de santé</h3>
          <ul>
            <li>
              aucun professionnel — ni votre médecin traitant, ni ceux que vous avez autorisés, ni
              les urgences (accès en urgence, SAMU) — ne peut plus consulter le dossier ni y déposer
              de document ;
            </li>
            <li>
              vos autorisations et vos blocages restent enregistrés : ils reprennent effet si vous
              rouvrez le dossier.
            </li>
          </ul>
          <h3>Pour vous</h3>
          <ul>
            <li>
              vos documents, votre profil médical, vos vaccinations et vos soins remboursés ne sont
              plus consultables ici tant que le dossier est fermé : téléchargez d’abord ce que vous
              voulez garder ;
            </li>
            <li>
              vous pouvez toujours vous connecter, lire l’historique des accès et la liste de vos
              autorisations, et rouvrir le dossier à tout moment : il revient tel qu’il était ;
            </li>
            <li>
              le dossier et ses documents sont conservés 10 ans après la fermeture, puis supprimés
              définitivement.
            </li>
          </ul>
          <p>
            Avant de fermer, gardez une copie : l’archive contient chacun de vos documents et un
            sommaire (index.html).
          </p>
          <div className="actions">
            <DownloadAllLink />
            <button type="button" className="button danger" onClick={() => setConfirmClose(true)}>
              Fermer le dossier…
            </button>
          </div>
        </section>
      )}
      {status.deletionRequested === undefined && (
        <section className="card" aria-labelledby="delete-title">
          <h2 id="delete-title">Demander la suppression du dossier</h2>
          <p>
            Plutôt que d’attendre 10 ans, vous pouvez demander que le dossier soit supprimé : il est
            {closed ? '' : ' aussitôt fermé, puis'} supprimé définitivement, avec tous ses
            documents, dans les 3 mois au plus. Tant que la suppression n’a pas eu lieu, rouvrir le
            dossier annule la demande ; après, rien ne peut être récupéré.
          </p>
          <button type="button" className="button secondary" onClick={() => setConfirmDelete(true)}>
            Demander la suppression…
          </button>
        </section>
      )}
      <ConfirmDialog
        open={confirmDelete}
        title="Demander la suppression du dossier ?"
        confirmLabel="Demander la suppression"
        danger
        busy={busy}
        confirmDisabled={!deleteUnderstood}
        onConfirm={() => void change('$request-deletion')}
        onCancel={() => {
          setConfirmDelete(false);
          setDeleteUnderstood(false);
        }}
      >
        <Alert kind="warning">
          Le dossier {closed ? 'sera' : 'sera fermé tout de suite, puis'} supprimé définitivement
          dans les 3 mois au plus, avec tous ses documents : ni vous ni aucun professionnel ne
          pourrez les retrouver.
        </Alert>
        <div className="check">
          <input
            id="delete-understood"
            type="checkbox"
            checked={deleteUnderstood}
            onChange={(e) => setDeleteUnderstood(e.target.checked)}
          />
          <label htmlFor="delete-understood">J’ai compris que la suppression est définitive.</label>
        </div>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirmClose}
        title="Fermer le dossier ?"
        confirmLabel="Fermer le dossier"
        danger
        busy={busy}
        confirmDisabled={!understood}
        onConfirm={() => void change('$close')}
        onCancel={() => {
          setConfirmClose(false);
          setUnderstood(false);
        }}
      >
        <Alert kind="warning">
          Plus aucun professionnel, y compris votre médecin traitant et les urgences, ne pourra
          consulter ce dossier tant qu’il est fermé.
        </Alert>
        <div className="check">
          <input
            id="close-understood"
            type="checkbox"
            checked={understood}
            onChange={(e) => setUnderstood(e.target.checked)}
          />
          <label htmlFor="close-understood">J’ai compris ce que la fermeture implique.</label>
        </div>
      </ConfirmDialog>
    </>
  );
}
