/** "Mon dossier": identity, status, closure ($close) with a clear explanation, and reopening ($reopen). */
import { useState, type ReactNode } from 'react';
import { sendJson } from '../shared/api.ts';
import { CLOSURE_REASONS, formatDate } from '../shared/format.ts';
import { Alert, Badge, ConfirmDialog, messageOf, useFlash } from '../shared/ui.tsx';
import { useRecord } from './record.tsx';

export function RecordPage(): ReactNode {
  const record = useRecord();
  const { patient, status } = record;
  const [confirmClose, setConfirmClose] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [flash, show] = useFlash();
  const closed = status.status === 'closed';
  const name = patient.name?.[0];

  const change = async (operation: '$close' | '$reopen'): Promise<void> => {
    setBusy(true);
    try {
      await sendJson('POST', `/fhir/Patient/${encodeURIComponent(patient.id)}/${operation}`, {
        resourceType: 'Parameters',
        parameter: operation === '$close' ? [{ name: 'reason', valueCode: 'holder-request' }] : [],
      });
      setConfirmClose(false);
      setUnderstood(false);
      show('success', operation === '$close' ? 'Le dossier est fermé.' : 'Le dossier est rouvert.');
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
          <p>Si vous fermez votre dossier :</p>
          <ul>
            <li>
              aucun professionnel de santé ne peut plus le consulter ni y déposer de document, même
              en urgence ;
            </li>
            <li>
              vous pouvez toujours vous connecter, consulter l’historique des accès et le rouvrir à
              tout moment ;
            </li>
            <li>
              ses documents sont conservés pendant 10 ans après la fermeture, puis supprimés
              définitivement (ou dans les 3 mois si vous en demandez la suppression).
            </li>
          </ul>
          <button type="button" className="button danger" onClick={() => setConfirmClose(true)}>
            Fermer le dossier…
          </button>
        </section>
      )}
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
