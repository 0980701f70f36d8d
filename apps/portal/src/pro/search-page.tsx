import { useEffect, useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { INS_SYSTEMS, recordPath } from './patient-context.tsx';

interface DemoAccount {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly description: string;
}

/** 15 characters: 13 digits (2A/2B allowed for Corsica) + a 2-digit key. */
const INS_FORM = /^[1-478][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{8}$/;

export function SearchPage(): ReactNode {
  const { session } = useSession();
  const { navigate } = useRouter();
  const demo = session.source === 'dev';
  const [ins, setIns] = useState('');
  const [oid, setOid] = useState(demo ? '1.2.250.1.213.1.4.10' : '1.2.250.1.213.1.4.8');
  const [error, setError] = useState<string | undefined>();
  const [demoPatients, setDemoPatients] = useState<readonly DemoAccount[]>([]);

  useEffect(() => {
    if (!demo) {
      return;
    }
    getJson<{ accounts: DemoAccount[] }>('/auth/portal/demo-accounts').then(
      (a) => setDemoPatients(a.accounts.filter((x) => x.kind === 'patient')),
      () => undefined,
    );
  }, [demo]);

  const submit = (e: SyntheticEvent): void => {
    e.preventDefault();
    const value = ins.replace(/\s+/g, '').toUpperCase();
    if (!INS_FORM.test(value)) {
      setError(
        'L’INS comporte 15 caractères : 13 chiffres (2A ou 2B pour la Corse) et une clé de 2 chiffres.',
      );
      document.getElementById('ins')?.focus();
      return;
    }
    setError(undefined);
    navigate(recordPath({ ins: value, oid }));
  };

  return (
    <div className="narrow">
      <h1>Rechercher le dossier d’un patient</h1>
      <p>
        Saisissez l’identifiant national de santé (INS) du patient, lu sur sa carte Vitale ou obtenu
        du téléservice INSi. Vous verrez si un dossier existe et vos droits d’accès.
      </p>
      <form
        className="card"
        onSubmit={submit}
        noValidate
        role="search"
        aria-label="Recherche par INS"
      >
        <div className="field">
          <label htmlFor="ins">
            INS du patient{' '}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <p className="hint" id="ins-hint">
            15 caractères, sans espace (exemple : 158037505610143).
          </p>
          <input
            id="ins"
            type="text"
            inputMode="text"
            autoComplete="off"
            spellCheck={false}
            maxLength={21}
            value={ins}
            required
            aria-describedby={error !== undefined ? 'ins-hint ins-error' : 'ins-hint'}
            {...(error !== undefined ? { 'aria-invalid': true } : {})}
            onChange={(e) => setIns(e.target.value)}
          />
          {error !== undefined && (
            <p className="field-error" id="ins-error">
              {error}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="ins-system">Type d’identifiant</label>
          <select id="ins-system" value={oid} onChange={(e) => setOid(e.target.value)}>
            {INS_SYSTEMS.map((s) => (
              <option key={s.oid} value={s.oid}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="button primary">
          Rechercher
        </button>
      </form>
      {demoPatients.length > 0 && (
        <details className="card">
          <summary>Patients de démonstration</summary>
          <ul>
            {demoPatients.map((p) => {
              const value = p.id.split(':')[1] ?? '';
              return (
                <li key={p.id}>
                  <Link to={recordPath({ ins: value, oid: '1.2.250.1.213.1.4.10' })}>{p.name}</Link>{' '}
                  — INS {value}
                </li>
              );
            })}
          </ul>
        </details>
      )}
    </div>
  );
}
