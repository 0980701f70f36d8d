/**
 * Medical profile: every section at once (GET /fhir/Patient/{id}/$profile), and simple forms to add an allergy
 * (POST /fhir/AllergyIntolerance) and a weight (POST /fhir/Observation, LOINC 29463-7 in kg).
 */
import { useState, type SyntheticEvent, type ReactNode } from 'react';
import { getJson, sendJson } from '../shared/api.ts';
import { resources, type Bundle, type CodeableConcept, type HumanName } from '../shared/fhir.ts';
import { formatDate } from '../shared/format.ts';
import { Alert, ErrorMessage, Loading, messageOf, useAsync, useFlash } from '../shared/ui.tsx';
import { useRecord } from './record.tsx';

const SECTION_SYSTEM = 'https://opendmp.fr/fhir/CodeSystem/profile-section';
const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

export const PROFILE_SECTIONS: readonly { readonly code: string; readonly title: string }[] = [
  { code: 'pathologies', title: 'Pathologies et antécédents' },
  { code: 'allergies', title: 'Allergies et intolérances' },
  { code: 'traitements', title: 'Traitements en cours' },
  { code: 'vaccinations', title: 'Vaccinations' },
  { code: 'mesures', title: 'Mesures' },
  { code: 'directives', title: 'Directives anticipées' },
  { code: 'personne-confiance', title: 'Personne de confiance' },
];

interface Quantity {
  readonly value?: number;
  readonly unit?: string;
}

/** The fields of the six profile resource types that the page shows. */
export interface ProfileEntry {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: { readonly tag?: readonly { system?: string; code?: string }[] };
  readonly code?: CodeableConcept;
  readonly criticality?: string;
  readonly onsetDateTime?: string;
  readonly medicationCodeableConcept?: CodeableConcept;
  readonly dosage?: readonly { readonly text?: string }[];
  readonly effectivePeriod?: { readonly start?: string };
  readonly vaccineCode?: CodeableConcept;
  readonly occurrenceDateTime?: string;
  readonly occurrenceString?: string;
  readonly effectiveDateTime?: string;
  readonly valueQuantity?: Quantity;
  readonly valueString?: string;
  readonly component?: readonly { readonly valueQuantity?: Quantity }[];
  readonly name?: readonly HumanName[];
  readonly relationship?: readonly CodeableConcept[];
  readonly telecom?: readonly { readonly value?: string }[];
}

function text(cc: CodeableConcept | undefined): string {
  return cc?.text ?? cc?.coding?.[0]?.display ?? cc?.coding?.[0]?.code ?? '—';
}

const UNITS: Readonly<Record<string, string>> = { 'mm[Hg]': 'mmHg', Cel: '°C', '/min': '/min' };

function quantity(q: Quantity | undefined): string {
  if (q?.value === undefined) {
    return '';
  }
  const unit = q.unit !== undefined ? ` ${UNITS[q.unit] ?? q.unit}` : '';
  return `${q.value.toLocaleString('fr-FR')}${unit}`;
}

/** The entry's title and a short detail line, per resource type. */
export function describe(e: ProfileEntry): { title: string; detail?: string } {
  switch (e.resourceType) {
    case 'Condition':
      return {
        title: text(e.code),
        ...(e.onsetDateTime !== undefined
          ? {
              detail:
                e.onsetDateTime.length > 7
                  ? `Depuis le ${formatDate(e.onsetDateTime)}`
                  : `Depuis ${formatDate(e.onsetDateTime)}`,
            }
          : {}),
      };
    case 'AllergyIntolerance':
      return {
        title: text(e.code),
        ...(e.criticality === 'high'
          ? { detail: 'Réaction grave possible' }
          : e.criticality === 'low'
            ? { detail: 'Réaction peu grave' }
            : {}),
      };
    case 'MedicationStatement': {
      const parts = [
        e.dosage?.[0]?.text,
        e.effectivePeriod?.start !== undefined
          ? `depuis le ${formatDate(e.effectivePeriod.start)}`
          : undefined,
      ].filter((p): p is string => p !== undefined);
      return {
        title: text(e.medicationCodeableConcept),
        ...(parts.length > 0 ? { detail: parts.join(', ') } : {}),
      };
    }
    case 'Immunization':
      return {
        title: text(e.vaccineCode),
        detail:
          e.occurrenceDateTime !== undefined
            ? `Le ${formatDate(e.occurrenceDateTime)}`
            : (e.occurrenceString ?? ''),
      };
    case 'Observation': {
      if (e.valueString !== undefined) {
        return {
          title: e.valueString,
          ...(e.effectiveDateTime !== undefined
            ? { detail: `Écrites le ${formatDate(e.effectiveDateTime)}` }
            : {}),
        };
      }
      const value =
        e.valueQuantity !== undefined
          ? quantity(e.valueQuantity)
          : (e.component ?? [])
              .map((c) => c.valueQuantity?.value)
              .filter((v) => v !== undefined)
              .join('/') +
            (e.component?.[0]?.valueQuantity?.unit !== undefined
              ? ` ${UNITS[e.component[0].valueQuantity.unit] ?? e.component[0].valueQuantity.unit}`
              : '');
      return {
        title: `${text(e.code)} : ${value}`,
        ...(e.effectiveDateTime !== undefined
          ? { detail: `Le ${formatDate(e.effectiveDateTime)}` }
          : {}),
      };
    }
    case 'RelatedPerson': {
      const n = e.name?.[0];
      const name = [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
      const link = e.relationship?.find((r) => r.coding === undefined)?.text;
      const phone = e.telecom?.[0]?.value;
      const parts = [link, phone].filter((p): p is string => p !== undefined);
      return {
        title: name === '' ? '—' : name,
        ...(parts.length > 0 ? { detail: parts.join(' — ') } : {}),
      };
    }
    default:
      return { title: e.resourceType };
  }
}

export function sectionOf(e: ProfileEntry): string | undefined {
  return e.meta?.tag?.find((t) => t.system === SECTION_SYSTEM)?.code;
}

function today(): string {
  const d = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

type Errors = Partial<Record<string, string>>;

function invalid(
  errors: Errors,
  name: string,
): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return errors[name] !== undefined
    ? { 'aria-invalid': true, 'aria-describedby': `profile-${name}-error` }
    : {};
}

function FieldError({ errors, name }: { errors: Errors; name: string }): ReactNode {
  return errors[name] !== undefined ? (
    <p className="field-error" id={`profile-${name}-error`}>
      {errors[name]}
    </p>
  ) : null;
}

function AddAllergy({
  subject,
  onAdded,
}: {
  readonly subject: unknown;
  readonly onAdded: (label: string) => void;
}): ReactNode {
  const [substance, setSubstance] = useState('');
  const [criticality, setCriticality] = useState('unable-to-assess');
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const label = substance.trim();
    if (label === '') {
      setErrors({ substance: 'Indiquez la substance ou l’aliment en cause.' });
      return;
    }
    if (label.length > 200) {
      setErrors({ substance: '200 caractères au plus.' });
      return;
    }
    setErrors({});
    setFailure(undefined);
    setBusy(true);
    try {
      await sendJson('POST', '/fhir/AllergyIntolerance', {
        resourceType: 'AllergyIntolerance',
        patient: subject,
        type: 'allergy',
        criticality,
        code: { text: label },
      });
      setSubstance('');
      setCriticality('unable-to-assess');
      onAdded(`L’allergie « ${label} » est ajoutée à votre profil.`);
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="add-allergy"
    >
      <h3 id="add-allergy">Ajouter une allergie</h3>
      <div aria-live="assertive">
        {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      </div>
      <div className="field">
        <label htmlFor="profile-substance">
          Substance ou aliment{' '}
          <span className="required" aria-hidden="true">
            *
          </span>
        </label>
        <input
          id="profile-substance"
          type="text"
          required
          maxLength={200}
          value={substance}
          onChange={(e) => setSubstance(e.target.value)}
          {...invalid(errors, 'substance')}
        />
        <div aria-live="assertive">
          <FieldError errors={errors} name="substance" />
        </div>
      </div>
      <div className="field">
        <label htmlFor="profile-criticality">Gravité</label>
        <select
          id="profile-criticality"
          value={criticality}
          onChange={(e) => setCriticality(e.target.value)}
        >
          <option value="unable-to-assess">Je ne sais pas</option>
          <option value="low">Réaction peu grave</option>
          <option value="high">Réaction grave possible</option>
        </select>
      </div>
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? 'Veuillez patienter…' : 'Ajouter l’allergie'}
      </button>
    </form>
  );
}

function AddWeight({
  subject,
  onAdded,
}: {
  readonly subject: unknown;
  readonly onAdded: (label: string) => void;
}): ReactNode {
  const [weight, setWeight] = useState('');
  const [date, setDate] = useState(today);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const found: Errors = {};
    const value = Number(weight.trim().replace(',', '.'));
    if (weight.trim() === '') {
      found['weight'] = 'Indiquez le poids en kilogrammes.';
    } else if (!/^\d{1,3}([.,]\d{1,2})?$/.test(weight.trim()) || value <= 0 || value > 400) {
      found['weight'] = 'Le poids est un nombre de kilogrammes, par exemple 72,5.';
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      found['date'] = 'Indiquez la date de la mesure.';
    } else if (date > today()) {
      found['date'] = 'La date ne peut pas être dans le futur.';
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    setFailure(undefined);
    setBusy(true);
    try {
      await sendJson('POST', '/fhir/Observation', {
        resourceType: 'Observation',
        status: 'final',
        subject,
        code: { coding: [{ system: LOINC, code: '29463-7', display: 'Poids' }], text: 'Poids' },
        effectiveDateTime: date,
        valueQuantity: { value, unit: 'kg', system: UCUM, code: 'kg' },
      });
      setWeight('');
      onAdded(`Le poids de ${value.toLocaleString('fr-FR')} kg est ajouté à votre profil.`);
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="add-weight">
      <h3 id="add-weight">Ajouter un poids</h3>
      <div aria-live="assertive">
        {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      </div>
      <div className="field">
        <label htmlFor="profile-weight">
          Poids en kg{' '}
          <span className="required" aria-hidden="true">
            *
          </span>
        </label>
        <input
          id="profile-weight"
          type="text"
          inputMode="decimal"
          required
          value={weight}
          onChange={(e) => setWeight(e.target.value)}
          {...invalid(errors, 'weight')}
        />
        <div aria-live="assertive">
          <FieldError errors={errors} name="weight" />
        </div>
      </div>
      <div className="field">
        <label htmlFor="profile-weight-date">Date de la mesure</label>
        <input
          id="profile-weight-date"
          type="date"
          required
          value={date}
          onChange={(e) => setDate(e.target.value)}
          {...invalid(errors, 'date')}
        />
        <div aria-live="assertive">
          <FieldError errors={errors} name="date" />
        </div>
      </div>
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? 'Veuillez patienter…' : 'Ajouter le poids'}
      </button>
    </form>
  );
}

export function ProfilePage(): ReactNode {
  const record = useRecord();
  const [flash, showFlash] = useFlash();
  const state = useAsync(
    async (signal) =>
      resources(
        await getJson<Bundle<ProfileEntry>>(
          `/fhir/Patient/${encodeURIComponent(record.patient.id)}/$profile?_count=500`,
          signal,
        ),
      ),
    [record.patient.id],
  );
  const [system = '', value = ''] = record.identifier.split('|');
  const subject = { identifier: { system, value } };
  const added = (message: string): void => {
    showFlash('success', message);
    state.reload();
  };

  const entries = state.data ?? [];
  return (
    <>
      <h1>Profil médical</h1>
      <p>
        Les informations de santé que vous notez vous-même : elles aident les professionnels que
        vous autorisez à mieux vous soigner.
      </p>
      {flash}
      {state.loading && state.data === undefined ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : (
        <div className="grid">
          {PROFILE_SECTIONS.map((s) => {
            const list = entries.filter((e) => sectionOf(e) === s.code);
            return (
              <section key={s.code} className="card" aria-labelledby={`section-${s.code}`}>
                <h2 id={`section-${s.code}`}>{s.title}</h2>
                {list.length === 0 ? (
                  <p className="muted">Aucune information.</p>
                ) : (
                  <ul className="plain-list">
                    {list.map((e) => {
                      const d = describe(e);
                      return (
                        <li key={e.id} className="row-item">
                          <div>
                            <strong>{d.title}</strong>
                            {d.detail !== undefined && d.detail !== '' && (
                              <p className="doc-meta">{d.detail}</p>
                            )}
                          </div>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
      <h2>Compléter mon profil</h2>
      <div className="grid">
        <AddAllergy subject={subject} onAdded={added} />
        <AddWeight subject={subject} onAdded={added} />
      </div>
    </>
  );
}
