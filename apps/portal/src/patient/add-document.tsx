import { useState, type SyntheticEvent, type ReactNode } from 'react';
import {
  buildUpload,
  deposit,
  readUpload,
  type DepositAuthor,
  MAX_UPLOAD_BYTES,
} from '../shared/deposit.ts';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { Alert, messageOf } from '../shared/ui.tsx';
import { useValueSet } from '../shared/value-sets.ts';
import { useRecord } from './record.tsx';

const ACCEPTED = ['application/pdf', 'image/jpeg', 'image/png'];

export function AddDocumentPage(): ReactNode {
  const { session } = useSession();
  const record = useRecord();
  const { navigate } = useRouter();
  const types = useValueSet('J66');
  const classes = useValueSet('J57');
  const formats = useValueSet('J60');
  const facilities = useValueSet('J61');
  const settings = useValueSet('J04');
  const confidentiality = useValueSet('J58');
  const patientTypes = types.filter((t) => /^DOCPAT0[1-79]$/.test(t.code));
  const [file, setFile] = useState<File | undefined>();
  const [type, setType] = useState('');
  const [title, setTitle] = useState('');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [masked, setMasked] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!file) {
      found['file'] = 'Choisissez un fichier.';
    } else if (!ACCEPTED.includes(file.type)) {
      found['file'] = 'Le fichier doit être un PDF ou une image JPEG ou PNG.';
    } else if (file.size > MAX_UPLOAD_BYTES) {
      found['file'] = 'Le fichier dépasse 14 Mo.';
    }
    if (type === '') {
      found['type'] = 'Choisissez le type de document.';
    }
    if (title.trim() === '') {
      found['title'] = 'Donnez un titre au document.';
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || !file) {
      document
        .getElementById(
          Object.keys(found)[0] === 'file' ? 'doc-file' : `doc-${Object.keys(found)[0] ?? ''}`,
        )
        ?.focus();
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      const upload = await readUpload(file);
      const typeConcept = patientTypes.find((t) => t.code === type);
      const classCode = typeConcept?.class;
      const cls = classes.find((c) => c.code === classCode);
      const format = formats.find(
        (f) =>
          f.code ===
          (upload.mimeType === 'application/pdf'
            ? 'urn:ihe:iti:xds-sd:pdf:2008'
            : 'urn:ihe:iti-fr:xds-sd:jpeg:2010'),
      );
      const facility = facilities.find((f) => f.code === 'EXP_PATIENT');
      const setting = settings.find((f) => f.code === 'EXP_PATIENT');
      const normal = confidentiality.find((c) => c.code === 'N');
      const mask = confidentiality.find((c) => c.code === 'MASQUE_PS');
      if (!typeConcept || !cls || !format || !facility || !setting || !normal) {
        throw new Error(
          'Les listes de référence ne sont pas chargées ; réessayez dans un instant.',
        );
      }
      const author: DepositAuthor =
        session.actor.kind === 'representative'
          ? {
              kind: 'representative',
              ...(session.actor.name !== undefined ? { name: session.actor.name } : {}),
            }
          : {
              kind: 'patient',
              ins: record.ins,
              insSystem: record.identifier.split('|')[0] ?? '',
              ...(session.actor.name !== undefined ? { name: session.actor.name } : {}),
            };
      const created = await deposit(
        buildUpload({
          patient: { system: record.identifier.split('|')[0] ?? '', ins: record.ins },
          bytes: upload.bytes,
          mimeType: upload.mimeType,
          title: title.trim(),
          type: typeConcept,
          class: cls,
          format,
          facilityType: facility,
          practiceSetting: setting,
          confidentiality: normal,
          visibility: masked && mask ? [mask] : [],
          serviceStart: date,
          author,
        }),
      );
      navigate(created ? `/documents/${created.id}` : '/documents');
    } catch (err) {
      setFailure(messageOf(err));
      setBusy(false);
    }
  };

  const invalid = (name: string): { 'aria-invalid'?: true; 'aria-describedby'?: string } =>
    errors[name] !== undefined
      ? { 'aria-invalid': true, 'aria-describedby': `doc-${name}-error` }
      : {};

  return (
    <div className="narrow">
      <p>
        <Link to="/documents">← Tous les documents</Link>
      </p>
      <h1>Ajouter un document</h1>
      <p>
        Ajoutez à votre dossier un document que vous détenez (ordonnance, compte rendu, résultat…).
        Il sera visible par les professionnels que vous autorisez, sauf si vous le masquez.
      </p>
      {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="doc-file">
            Fichier{' '}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <p className="hint" id="doc-file-hint">
            PDF, JPEG ou PNG, 14 Mo au plus. Une image PNG est convertie en JPEG.
          </p>
          <input
            id="doc-file"
            type="file"
            accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
            required
            aria-describedby={
              errors['file'] !== undefined ? 'doc-file-hint doc-file-error' : 'doc-file-hint'
            }
            {...(errors['file'] !== undefined ? { 'aria-invalid': true } : {})}
            onChange={(e) => {
              const f = e.target.files?.[0];
              setFile(f);
              if (f && title === '') {
                setTitle(f.name.replace(/\.[^.]+$/, ''));
              }
            }}
          />
          {errors['file'] !== undefined && (
            <p className="field-error" id="doc-file-error">
              {errors['file']}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="doc-type">
            Type de document{' '}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <select
            id="doc-type"
            value={type}
            required
            onChange={(e) => setType(e.target.value)}
            {...invalid('type')}
          >
            <option value="">Choisir…</option>
            {patientTypes.map((t) => (
              <option key={t.code} value={t.code}>
                {t.display}
              </option>
            ))}
          </select>
          {errors['type'] !== undefined && (
            <p className="field-error" id="doc-type-error">
              {errors['type']}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="doc-title">
            Titre{' '}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <input
            id="doc-title"
            type="text"
            value={title}
            required
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
            {...invalid('title')}
          />
          {errors['title'] !== undefined && (
            <p className="field-error" id="doc-title-error">
              {errors['title']}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="doc-date">Date du document</label>
          <input
            id="doc-date"
            type="date"
            value={date}
            max={new Date().toISOString().slice(0, 10)}
            onChange={(e) => setDate(e.target.value)}
          />
        </div>
        <div className="check">
          <input
            id="doc-masked"
            type="checkbox"
            checked={masked}
            onChange={(e) => setMasked(e.target.checked)}
          />
          <label htmlFor="doc-masked">
            Masquer ce document aux professionnels (sauf à mon médecin traitant)
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Envoi…' : 'Ajouter au dossier'}
          </button>
          <Link to="/documents" className="button secondary">
            Annuler
          </Link>
        </div>
      </form>
    </div>
  );
}
