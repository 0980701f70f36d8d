/**
 * Emergency access: behind a clear warning, with a mandatory written justification. The server opens a new
 * session acting with a token in bris_de_glace (or centre_15) mode carrying the justification; every access
 * made in it is traced with that mode and justification, and the patient and the médecin traitant are notified.
 */
import { useState, type SyntheticEvent, type ReactNode } from 'react';
import { sendJson } from '../shared/api.ts';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession, type SessionView } from '../shared/session.tsx';
import { Alert, messageOf } from '../shared/ui.tsx';
import { recordPath, useProRecord } from './patient-context.tsx';

const MIN = 10;

export function EmergencyPage(): ReactNode {
  const { session, replace } = useSession();
  const record = useProRecord();
  const { navigate } = useRouter();
  const regulator = session.actor.regulator === true;
  // Issue 17 rule 7: a regulator starts in the mode they can use on this record (centre 15 when it is open).
  const [mode, setMode] = useState<'bris_de_glace' | 'centre_15'>(
    regulator && record.standing?.centre15 === true ? 'centre_15' : 'bris_de_glace',
  );
  const [reason, setReason] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const possible =
    mode === 'bris_de_glace'
      ? record.standing?.brisDeGlace === true
      : record.standing?.centre15 === true;

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    if (mode === 'bris_de_glace' && reason.trim().length < MIN) {
      setError(`La justification est obligatoire (au moins ${MIN} caractères).`);
      document.getElementById('emergency-reason')?.focus();
      return;
    }
    if (!confirmed) {
      setError('Confirmez que la situation justifie un accès en urgence.');
      document.getElementById('emergency-confirm')?.focus();
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      const next = await sendJson<SessionView>(
        'POST',
        '/auth/portal/emergency',
        {
          mode,
          ins: record.ins,
          ...(mode === 'bris_de_glace' ? { reason: reason.trim() } : {}),
        },
        'application/json',
      );
      if (next) {
        replace(next);
      }
      navigate(recordPath(record));
    } catch (err) {
      setFailure(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <div className="narrow">
      <p>
        <Link to={recordPath(record)}>← Dossier du patient</Link>
      </p>
      <h1>Accès en urgence</h1>
      <Alert kind="error" title="Réservé aux situations d’urgence">
        <p>
          L’accès en urgence (« bris de glace ») permet de consulter le dossier d’un patient qui ne
          peut pas donner son accord, lorsque son état le justifie. Il est :
        </p>
        <ul>
          <li>
            tracé avec votre identité et votre justification, visibles par le patient dans son
            historique ;
          </li>
          <li>signalé immédiatement au patient et à son médecin traitant ;</li>
          <li>contrôlé : un usage injustifié engage votre responsabilité.</li>
        </ul>
        <p>Les documents que le patient a masqués restent inaccessibles.</p>
      </Alert>
      {!possible && (
        <Alert kind="warning">
          Cet accès est impossible pour ce dossier : le patient s’y est opposé, vous a bloqué, ou le
          dossier est fermé.
        </Alert>
      )}
      {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      <form onSubmit={(e) => void submit(e)} noValidate>
        {regulator && (
          <fieldset>
            <legend>Mode d’accès</legend>
            <div className="check">
              <input
                id="mode-bdg"
                type="radio"
                name="mode"
                checked={mode === 'bris_de_glace'}
                onChange={() => setMode('bris_de_glace')}
              />
              <label htmlFor="mode-bdg">Bris de glace</label>
            </div>
            <div className="check">
              <input
                id="mode-c15"
                type="radio"
                name="mode"
                checked={mode === 'centre_15'}
                onChange={() => setMode('centre_15')}
              />
              <label htmlFor="mode-c15">Régulation médicale (centre 15)</label>
            </div>
          </fieldset>
        )}
        {mode === 'bris_de_glace' && (
          <div className="field">
            <label htmlFor="emergency-reason">
              Justification{' '}
              <span className="required" aria-hidden="true">
                *
              </span>
            </label>
            <p className="hint" id="emergency-reason-hint">
              Décrivez la situation (au moins {MIN} caractères). Le patient lira cette
              justification.
            </p>
            <textarea
              id="emergency-reason"
              value={reason}
              required
              minLength={MIN}
              maxLength={1000}
              aria-describedby={
                error !== undefined
                  ? 'emergency-reason-hint emergency-error'
                  : 'emergency-reason-hint'
              }
              {...(error !== undefined && reason.trim().length < MIN
                ? { 'aria-invalid': true }
                : {})}
              onChange={(e) => setReason(e.target.value)}
            />
          </div>
        )}
        <div className="check">
          <input
            id="emergency-confirm"
            type="checkbox"
            checked={confirmed}
            onChange={(e) => setConfirmed(e.target.checked)}
          />
          <label htmlFor="emergency-confirm">
            Je confirme que l’état du patient justifie un accès en urgence à son dossier.
          </label>
        </div>
        {error !== undefined && (
          <p className="field-error" id="emergency-error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button danger" disabled={busy || !possible}>
            {busy ? 'Ouverture…' : 'Accéder en urgence'}
          </button>
          <Link to={recordPath(record)} className="button secondary">
            Annuler
          </Link>
        </div>
      </form>
    </div>
  );
}
