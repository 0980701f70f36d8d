/**
 * Depositing a document (ITI-105): a CDA R2 document — whose metadata the server reads from its header — or a
 * PDF described by a metadata form whose every picker comes from the server's value sets (types J66 with their
 * class, facility types J61, practice settings J04, confidentiality J58). Visibility can be set at deposit.
 */
import { useEffect, useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson } from '../shared/api.ts';
import {
  docDate,
  docLabels,
  docTitle,
  firstCoding,
  type DocumentReference,
} from '../shared/fhir.ts';
import { formatDate } from '../shared/format.ts';
import { hl7Time } from '../shared/cda.tsx';
import {
  buildCdaUpload,
  buildUpload,
  deposit,
  MAX_UPLOAD_BYTES,
  type PortalUpload,
} from '../shared/deposit.ts';
import { Link, useRouter } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';
import { Alert, messageOf } from '../shared/ui.tsx';
import { useValueSet, type Concept } from '../shared/value-sets.ts';
import { recordPath, useProRecord } from './patient-context.tsx';
import { PatientIdentity } from './patient-identity.tsx';
import { decodeXml } from '../shared/xml-text.ts';

const MAX_BYTES = 20 * 1024 * 1024;

interface CdaPreview {
  readonly title?: string;
  readonly typeCode?: string;
  readonly date?: string;
}

function previewCda(text: string): CdaPreview | undefined {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (
    doc.getElementsByTagName('parsererror').length > 0 ||
    doc.documentElement.localName !== 'ClinicalDocument'
  ) {
    return undefined;
  }
  const child = (name: string): Element | undefined =>
    Array.from(doc.documentElement.children).find((c) => c.localName === name);
  const title = child('title')?.textContent.trim();
  const typeCode = child('code')?.getAttribute('code') ?? undefined;
  const date = hl7Time(child('effectiveTime')?.getAttribute('value'));
  return {
    ...(title !== undefined && title !== '' ? { title } : {}),
    ...(typeCode !== undefined ? { typeCode } : {}),
    ...(date !== undefined ? { date } : {}),
  };
}

export function DepositPage({ replaces }: { readonly replaces?: string }): ReactNode {
  const { session } = useSession();
  const record = useProRecord();
  const { navigate } = useRouter();
  const types = useValueSet('J66');
  const classes = useValueSet('J57');
  const formats = useValueSet('J60');
  const facilities = useValueSet('J61');
  const settings = useValueSet('J04');
  const confidentiality = useValueSet('J58');
  const professions = useValueSet('G15');

  const [file, setFile] = useState<
    { name: string; bytes: Uint8Array; kind: 'cda' | 'pdf'; preview?: CdaPreview } | undefined
  >();
  const [type, setType] = useState('');
  const [title, setTitle] = useState('');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [facility, setFacility] = useState(session.actor.sector ?? '');
  const [setting, setSetting] = useState('');
  const [level, setLevel] = useState('N');
  const [flags, setFlags] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [previous, setPrevious] = useState<DocumentReference | undefined>();

  // Replace without re-typing (issue 21 point 7): the form starts from the old version's metadata.
  useEffect(() => {
    if (replaces === undefined) {
      return;
    }
    const controller = new AbortController();
    getJson<DocumentReference>(
      `/fhir/DocumentReference/${encodeURIComponent(replaces)}`,
      controller.signal,
    ).then(
      (old) => {
        setPrevious(old);
        const typeCode = firstCoding(old.type)?.code;
        if (typeCode !== undefined) {
          setType(typeCode);
        }
        setTitle(docTitle(old));
        const start = old.context?.period?.start;
        if (start !== undefined && /^\d{4}-\d{2}-\d{2}/.test(start)) {
          setDate(start.slice(0, 10));
        }
        const fac = firstCoding(old.context?.facilityType)?.code;
        if (fac !== undefined) {
          setFacility(fac);
        }
        const set = firstCoding(old.context?.practiceSetting)?.code;
        if (set !== undefined) {
          setSetting(set);
        }
        const labels = docLabels(old);
        const lvl = labels.find((l) => l === 'N' || l === 'R' || l === 'V');
        if (lvl !== undefined) {
          setLevel(lvl);
        }
        setFlags(
          new Set(
            labels.filter((l) =>
              ['MASQUE_PS', 'INVISIBLE_PATIENT', 'INVISIBLE_REPRESENTANTS_LEGAUX'].includes(l),
            ),
          ),
        );
      },
      () => undefined,
    );
    return () => controller.abort();
  }, [replaces]);

  const professionalTypes = types.filter((t) => !t.code.startsWith('DOCPAT') && t.class !== '60');
  const clsOf = (code: string): Concept | undefined =>
    classes.find((c) => c.code === types.find((t) => t.code === code)?.class);
  const concept = (list: readonly Concept[], code: string): Concept | undefined =>
    list.find((c) => c.code === code);

  const pick = async (f: File | undefined): Promise<void> => {
    setErrors({});
    if (!f) {
      setFile(undefined);
      return;
    }
    const bytes = new Uint8Array(await f.arrayBuffer());
    const isPdf = f.type === 'application/pdf' || /\.pdf$/i.test(f.name);
    const isXml = /xml/.test(f.type) || /\.xml$/i.test(f.name);
    if (!isPdf && !isXml) {
      setErrors({ file: 'Déposez un document CDA (fichier XML) ou un PDF.' });
      setFile(undefined);
      return;
    }
    if (isXml) {
      const preview = previewCda(decodeXml(bytes));
      if (!preview) {
        setErrors({ file: 'Ce fichier XML n’est pas un document CDA.' });
        setFile(undefined);
        return;
      }
      setFile({ name: f.name, bytes, kind: 'cda', preview });
    } else {
      setFile({ name: f.name, bytes, kind: 'pdf' });
      if (title === '') {
        setTitle(f.name.replace(/\.pdf$/i, ''));
      }
    }
  };

  const toggle = (code: string, on: boolean): void =>
    setFlags((s) => {
      const next = new Set(s);
      if (on) {
        next.add(code);
      } else {
        next.delete(code);
      }
      return next;
    });

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!file) {
      found['file'] = 'Choisissez un fichier.';
    } else if (file.bytes.length > MAX_BYTES) {
      found['file'] = 'Le fichier dépasse 20 Mo.';
    } else if (file.kind === 'pdf' && file.bytes.length > MAX_UPLOAD_BYTES) {
      // The server wraps a PDF in a CDA N1 (base64: a third larger), which must stay within 20 Mo.
      found['file'] = 'Un PDF dépasse 14 Mo.';
    }
    if (file?.kind === 'pdf') {
      if (type === '') {
        found['type'] = 'Choisissez le type de document.';
      }
      if (title.trim() === '') {
        found['title'] = 'Donnez un titre.';
      }
      if (facility === '') {
        found['facility'] = 'Choisissez le type de structure.';
      }
      if (setting === '') {
        found['setting'] = 'Choisissez le cadre d’exercice.';
      }
    }
    setErrors(found);
    const firstError = Object.keys(found)[0];
    if (firstError !== undefined || !file) {
      document.getElementById(`dep-${firstError ?? 'file'}`)?.focus();
      return;
    }
    setBusy(true);
    setFailure(undefined);
    try {
      const [system = '', ins = ''] = record.identifier.split('|');
      const visibility = [...flags]
        .map((f) => concept(confidentiality, f))
        .filter((c): c is Concept => c !== undefined);
      let upload: PortalUpload;
      if (file.kind === 'cda') {
        // The server derives the metadata from the CDA header; we add the visibility and the replacement link.
        const levelConcept = concept(confidentiality, level);
        upload = buildCdaUpload({
          patient: { system, ins },
          bytes: file.bytes,
          ...(visibility.length > 0
            ? { confidentiality: [...(levelConcept ? [levelConcept] : []), ...visibility] }
            : {}),
          ...(replaces !== undefined ? { replaces } : {}),
        });
      } else {
        const t = concept(types, type);
        const cls = clsOf(type);
        const fmt = concept(formats, 'urn:ihe:iti:xds-sd:pdf:2008');
        const fac = concept(facilities, facility);
        const set = concept(settings, setting);
        const conf = concept(confidentiality, level);
        if (!t || !cls || !fmt || !fac || !set || !conf) {
          throw new Error(
            'Les listes de référence ne sont pas chargées ; réessayez dans un instant.',
          );
        }
        const profession = concept(professions, session.actor.profession ?? '');
        upload = buildUpload({
          patient: { system, ins },
          bytes: file.bytes,
          mimeType: 'application/pdf',
          title: title.trim(),
          type: t,
          class: cls,
          format: fmt,
          facilityType: fac,
          practiceSetting: set,
          confidentiality: conf,
          visibility,
          serviceStart: date,
          author: {
            kind: 'professional',
            idNatPs: session.actor.idNatPs ?? '',
            ...(session.actor.name !== undefined ? { name: session.actor.name } : {}),
            ...(profession ? { profession } : {}),
            ...(session.actor.structure !== undefined
              ? { structure: session.actor.structure }
              : {}),
          },
          ...(replaces !== undefined ? { replaces } : {}),
        });
      }
      const created = await deposit(upload);
      navigate(created ? recordPath(record, `/documents/${created.id}`) : recordPath(record));
    } catch (err) {
      setFailure(messageOf(err));
      setBusy(false);
    }
  };

  const err = (name: string): ReactNode =>
    errors[name] !== undefined ? (
      <p className="field-error" id={`dep-${name}-error`}>
        {errors[name]}
      </p>
    ) : null;
  const aria = (name: string): Record<string, string | boolean> =>
    errors[name] !== undefined
      ? { 'aria-invalid': true, 'aria-describedby': `dep-${name}-error` }
      : {};

  return (
    <div className="narrow">
      <p>
        <Link to={recordPath(record)}>← Dossier du patient</Link>
      </p>
      <h1>{replaces !== undefined ? 'Remplacer un document' : 'Déposer un document'}</h1>
      {previous !== undefined && (
        <Alert kind="info" title="Le formulaire reprend la version précédente">
          <p>
            « {docTitle(previous)} » du {formatDate(docDate(previous))} : son type, son titre, sa
            date, sa structure, son cadre d’exercice et sa visibilité sont repris ci-dessous pour un
            PDF ; vérifiez-les. Un document CDA apporte ses propres informations dans son en-tête.
          </p>
        </Alert>
      )}
      <p>
        Patient {record.ins}.{' '}
        {replaces !== undefined
          ? 'La nouvelle version remplacera la précédente, qui restera consultable comme version remplacée.'
          : ''}
      </p>
      <PatientIdentity record={record} />
      {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor="dep-file">
            Document{' '}
            <span className="required" aria-hidden="true">
              *
            </span>
          </label>
          <p className="hint" id="dep-file-hint">
            Un document CDA R2 (XML, métadonnées lues dans son en-tête) ou un PDF (métadonnées à
            saisir ci-dessous, le PDF est enveloppé dans un CDA de niveau 1). 20 Mo au plus pour un
            CDA, 14 Mo pour un PDF.
          </p>
          <input
            id="dep-file"
            type="file"
            accept=".xml,.pdf,text/xml,application/xml,application/pdf"
            aria-describedby={
              errors['file'] !== undefined ? 'dep-file-hint dep-file-error' : 'dep-file-hint'
            }
            {...(errors['file'] !== undefined ? { 'aria-invalid': true } : {})}
            onChange={(e) => void pick(e.target.files?.[0])}
          />
          {err('file')}
        </div>
        {file?.kind === 'cda' && (
          <Alert kind="info" title="Document CDA">
            <p>
              {file.preview?.title ?? 'Sans titre'}
              {file.preview?.typeCode !== undefined
                ? ` — type ${types.find((t) => t.code === file.preview?.typeCode)?.display ?? file.preview.typeCode}`
                : ''}
              {file.preview?.date !== undefined ? ` — ${file.preview.date.slice(0, 10)}` : ''}
            </p>
            <p>
              Le type, l’auteur, les dates et la structure sont lus dans l’en-tête du document et
              vérifiés par le serveur. Vous devez en être l’auteur, ou agir depuis la structure de
              l’auteur.
            </p>
          </Alert>
        )}
        {file?.kind === 'pdf' && (
          <fieldset>
            <legend>Métadonnées du document</legend>
            <div className="field">
              <label htmlFor="dep-type">
                Type de document{' '}
                <span className="required" aria-hidden="true">
                  *
                </span>
              </label>
              <select
                id="dep-type"
                value={type}
                onChange={(e) => setType(e.target.value)}
                {...aria('type')}
              >
                <option value="">Choisir…</option>
                {classes
                  .filter((c) => c.code !== '60' && c.code !== '90')
                  .map((c) => {
                    const list = professionalTypes.filter((t) => t.class === c.code);
                    return list.length === 0 ? null : (
                      <optgroup key={c.code} label={c.display}>
                        {list.map((t) => (
                          <option key={t.code} value={t.code}>
                            {t.display}
                          </option>
                        ))}
                      </optgroup>
                    );
                  })}
              </select>
              {err('type')}
              {type !== '' && <p className="hint">Catégorie : {clsOf(type)?.display ?? '—'}</p>}
            </div>
            <div className="field">
              <label htmlFor="dep-title">
                Titre{' '}
                <span className="required" aria-hidden="true">
                  *
                </span>
              </label>
              <input
                id="dep-title"
                type="text"
                maxLength={200}
                value={title}
                onChange={(e) => setTitle(e.target.value)}
                {...aria('title')}
              />
              {err('title')}
            </div>
            <div className="field">
              <label htmlFor="dep-date">Date de l’acte</label>
              <input
                id="dep-date"
                type="date"
                value={date}
                onChange={(e) => setDate(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="dep-facility">
                Type de structure{' '}
                <span className="required" aria-hidden="true">
                  *
                </span>
              </label>
              <select
                id="dep-facility"
                value={facility}
                onChange={(e) => setFacility(e.target.value)}
                {...aria('facility')}
              >
                <option value="">Choisir…</option>
                {facilities
                  .filter((f) => f.code.startsWith('SA'))
                  .map((f) => (
                    <option key={f.code} value={f.code}>
                      {f.display}
                    </option>
                  ))}
              </select>
              {err('facility')}
            </div>
            <div className="field">
              <label htmlFor="dep-setting">
                Cadre d’exercice{' '}
                <span className="required" aria-hidden="true">
                  *
                </span>
              </label>
              <select
                id="dep-setting"
                value={setting}
                onChange={(e) => setSetting(e.target.value)}
                {...aria('setting')}
              >
                <option value="">Choisir…</option>
                {settings
                  .filter((s) => s.code !== 'EXP_PATIENT')
                  .map((s) => (
                    <option key={s.code} value={s.code}>
                      {s.display}
                    </option>
                  ))}
              </select>
              {err('setting')}
            </div>
            <div className="field">
              <label htmlFor="dep-level">Confidentialité</label>
              <select id="dep-level" value={level} onChange={(e) => setLevel(e.target.value)}>
                {confidentiality
                  .filter((c) => ['N', 'R', 'V'].includes(c.code))
                  .map((c) => (
                    <option key={c.code} value={c.code}>
                      {c.display}
                    </option>
                  ))}
              </select>
            </div>
          </fieldset>
        )}
        {file !== undefined && (
          <fieldset>
            <legend>Visibilité</legend>
            <div className="check">
              <input
                id="dep-masque"
                type="checkbox"
                checked={flags.has('MASQUE_PS')}
                onChange={(e) => toggle('MASQUE_PS', e.target.checked)}
              />
              <label htmlFor="dep-masque">
                Masqué aux autres professionnels, à la demande du patient
              </label>
            </div>
            <div className="check">
              <input
                id="dep-invisible-patient"
                type="checkbox"
                checked={flags.has('INVISIBLE_PATIENT')}
                onChange={(e) => toggle('INVISIBLE_PATIENT', e.target.checked)}
              />
              <label htmlFor="dep-invisible-patient">
                Invisible pour le patient en attendant une consultation d’annonce (visible de lui
                après un mois au plus)
              </label>
            </div>
            <div className="check">
              <input
                id="dep-invisible-rl"
                type="checkbox"
                checked={flags.has('INVISIBLE_REPRESENTANTS_LEGAUX')}
                onChange={(e) => toggle('INVISIBLE_REPRESENTANTS_LEGAUX', e.target.checked)}
              />
              <label htmlFor="dep-invisible-rl">
                Invisible pour les représentants légaux (patient mineur uniquement)
              </label>
            </div>
          </fieldset>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Dépôt…' : replaces !== undefined ? 'Déposer la nouvelle version' : 'Déposer'}
          </button>
          <Link to={recordPath(record)} className="button secondary">
            Annuler
          </Link>
        </div>
      </form>
    </div>
  );
}
