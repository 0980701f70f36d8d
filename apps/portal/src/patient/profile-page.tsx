/**
 * Medical profile (issue 7; issue 21 point 4): every section at once (GET /fhir/Patient/{id}/$profile); in each
 * section the patient (or legal representative) adds an entry (POST /fhir/{type}), edits one in place
 * (PUT /fhir/{type}/{id} with If-Match, starting from the stored resource) and deletes one after a confirmation
 * (DELETE /fhir/{type}/{id}). An entry that looks like one already there (same substance, same vaccine on the same
 * day, same measure on the same day, a second trusted person…) is announced before it is sent, and sent only when
 * asked again. "Exporter le profil médical" writes the DOCPAT08 document (POST /fhir/Patient/{id}/$export-profile).
 * A vaccination a professional recorded (issue 21 point 5) is shown with who gave it and is not edited here.
 */
import { useId, useState, type ReactNode, type SyntheticEvent } from 'react';
import { getJson, sendJson } from '../shared/api.ts';
import { resources, type Bundle } from '../shared/fhir.ts';
import {
  authorKindOf,
  describe,
  PROFILE_SECTIONS,
  sectionOf,
  type ProfileEntry,
} from '../shared/profile.ts';
import { Link } from '../shared/router.tsx';
import {
  Alert,
  ConfirmDialog,
  ErrorMessage,
  Loading,
  messageOf,
  useAsync,
  useFlash,
} from '../shared/ui.tsx';
import { EDITORS, type Errors, type SectionEditor, type Values } from './profile-editors.ts';
import { useRecord } from './record.tsx';

export { describe, PROFILE_SECTIONS, sectionOf, type ProfileEntry };

function EntryField({
  editor,
  prefix,
  field,
  values,
  errors,
  onChange,
}: {
  readonly editor: SectionEditor;
  readonly prefix: string;
  readonly field: SectionEditor['fields'][number];
  readonly values: Values;
  readonly errors: Errors;
  readonly onChange: (name: string, value: string) => void;
}): ReactNode {
  const id = `${prefix}-${field.name}`;
  const error = errors[field.name];
  const described =
    [field.hint !== undefined ? `${id}-hint` : '', error !== undefined ? `${id}-error` : '']
      .filter((x) => x !== '')
      .join(' ') || undefined;
  const common = {
    id,
    name: field.name,
    value: values[field.name] ?? '',
    ...(field.required === true ? { required: true } : {}),
    ...(error !== undefined ? { 'aria-invalid': true as const } : {}),
    ...(described !== undefined ? { 'aria-describedby': described } : {}),
  };
  const change = (e: { target: { value: string } }): void => onChange(field.name, e.target.value);
  return (
    <div className="field" data-section={editor.section}>
      <label htmlFor={id}>
        {field.label}
        {field.required === true && (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {field.hint !== undefined && (
        <p className="hint" id={`${id}-hint`}>
          {field.hint}
        </p>
      )}
      {field.kind === 'select' ? (
        <select {...common} onChange={change}>
          {(field.options ?? []).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      ) : field.kind === 'textarea' ? (
        <textarea {...common} rows={3} maxLength={4000} onChange={change} />
      ) : (
        <input
          {...common}
          type={field.kind === 'date' ? 'date' : field.kind === 'tel' ? 'tel' : 'text'}
          {...(field.kind === 'decimal' ? { inputMode: 'decimal' as const } : {})}
          onChange={change}
        />
      )}
      {error !== undefined && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The add form (no `entry`) or the edit form of one entry, with the duplicate check. */
function EntryForm({
  editor,
  entry,
  others,
  subject,
  onDone,
  onCancel,
}: {
  readonly editor: SectionEditor;
  readonly entry?: ProfileEntry;
  /** The section's other entries, for the duplicate check. */
  readonly others: readonly ProfileEntry[];
  readonly subject: unknown;
  readonly onDone: (message: string) => void;
  readonly onCancel?: () => void;
}): ReactNode {
  const prefix = `${editor.section}-${entry?.id ?? 'new'}`;
  const titleId = useId();
  const [values, setValues] = useState<Values>(() =>
    entry ? editor.valuesOf(entry) : editor.empty(),
  );
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<string | undefined>();
  const [warning, setWarning] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const visible = editor.fields.filter((f) => f.when?.(values) ?? true);

  const change = (name: string, value: string): void => {
    setValues((v) => ({ ...v, [name]: value }));
    setWarning(undefined);
  };

  const submit = async (e: SyntheticEvent): Promise<void> => {
    e.preventDefault();
    const found = editor.validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      document.getElementById(`${prefix}-${Object.keys(found)[0] ?? ''}`)?.focus();
      return;
    }
    const key = editor.keyOf(values);
    const twin =
      key === undefined
        ? undefined
        : others.find((o) => o.id !== entry?.id && editor.keyOf(editor.valuesOf(o)) === key);
    if (twin !== undefined && warning === undefined) {
      setWarning(editor.duplicate(describe(twin).title));
      return;
    }
    setFailure(undefined);
    setBusy(true);
    try {
      const resource = editor.build(values, subject, entry);
      if (entry) {
        const version = entry.meta?.versionId;
        await sendJson(
          'PUT',
          `/fhir/${editor.type}/${encodeURIComponent(entry.id)}`,
          resource,
          undefined,
          version !== undefined ? { 'if-match': `W/"${version}"` } : undefined,
        );
      } else {
        await sendJson('POST', `/fhir/${editor.type}`, resource);
        setValues(editor.empty());
      }
      setWarning(undefined);
      const title = describe({ ...(resource as unknown as ProfileEntry), id: '' }).title;
      onDone(
        entry ? `Modification enregistrée : « ${title} ».` : `Ajout enregistré : « ${title} ».`,
      );
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const label = entry ? 'Enregistrer' : warning !== undefined ? 'Ajouter quand même' : 'Ajouter';
  return (
    <form
      className={entry ? 'entry-form' : 'entry-form card'}
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>
        {entry ? `Modifier « ${describe(entry).title} »` : `Ajouter ${editor.one}`}
      </h3>
      <div aria-live="assertive">
        {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      </div>
      <div aria-live="polite">
        {warning !== undefined && (
          <Alert kind="warning" title="Doublon possible">
            <p>{warning}</p>
            <p>
              {entry
                ? 'Enregistrez à nouveau pour confirmer.'
                : 'Cliquez sur « Ajouter quand même » pour l’ajouter malgré tout.'}
            </p>
          </Alert>
        )}
      </div>
      {visible.map((f) => (
        <EntryField
          key={f.name}
          editor={editor}
          prefix={prefix}
          field={f}
          values={values}
          errors={errors}
          onChange={change}
        />
      ))}
      <div className="actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? 'Veuillez patienter…' : label}
        </button>
        {onCancel !== undefined && (
          <button type="button" className="button secondary" onClick={onCancel} disabled={busy}>
            Annuler
          </button>
        )}
      </div>
    </form>
  );
}

function Section({
  title,
  code,
  editor,
  list,
  subject,
  onChanged,
}: {
  readonly title: string;
  readonly code: string;
  readonly editor: SectionEditor;
  readonly list: readonly ProfileEntry[];
  readonly subject: unknown;
  readonly onChanged: (message: string, kind?: 'success' | 'error') => void;
}): ReactNode {
  const [editing, setEditing] = useState<string | undefined>();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<ProfileEntry | undefined>();
  const [busy, setBusy] = useState(false);

  const remove = async (): Promise<void> => {
    if (!removing) {
      return;
    }
    setBusy(true);
    const title = describe(removing).title;
    try {
      await sendJson(
        'DELETE',
        `/fhir/${removing.resourceType}/${encodeURIComponent(removing.id)}`,
        undefined,
      );
      onChanged(`Suppression enregistrée : « ${title} ».`);
    } catch (err) {
      onChanged(messageOf(err), 'error');
    } finally {
      setBusy(false);
      setRemoving(undefined);
    }
  };

  return (
    <section className="card profile-section" aria-labelledby={`section-${code}`}>
      <h2 id={`section-${code}`}>{title}</h2>
      {list.length === 0 ? (
        <p className="muted">Aucune information.</p>
      ) : (
        <ul className="plain-list">
          {list.map((e) => {
            const d = describe(e);
            const byProfessional = authorKindOf(e) === 'professional';
            return (
              <li key={e.id} className="row-item">
                {editing === e.id ? (
                  <EntryForm
                    editor={editor}
                    entry={e}
                    others={list}
                    subject={subject}
                    onDone={(m) => {
                      setEditing(undefined);
                      onChanged(m);
                    }}
                    onCancel={() => setEditing(undefined)}
                  />
                ) : (
                  <>
                    <div>
                      <strong>{d.title}</strong>
                      {d.detail !== undefined && d.detail !== '' && (
                        <p className="doc-meta">{d.detail}</p>
                      )}
                    </div>
                    <div className="actions compact">
                      {!byProfessional && (
                        <button
                          type="button"
                          className="button small secondary"
                          aria-label={`Modifier « ${d.title} »`}
                          onClick={() => setEditing(e.id)}
                        >
                          Modifier
                        </button>
                      )}
                      <button
                        type="button"
                        className="button small secondary"
                        aria-label={`Supprimer « ${d.title} »`}
                        onClick={() => setRemoving(e)}
                      >
                        Supprimer
                      </button>
                    </div>
                  </>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {adding ? (
        <EntryForm
          editor={editor}
          others={list}
          subject={subject}
          onDone={(m) => {
            setAdding(false);
            onChanged(m);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <button type="button" className="button secondary" onClick={() => setAdding(true)}>
          Ajouter {editor.one}
        </button>
      )}
      <ConfirmDialog
        open={removing !== undefined}
        title={`Supprimer « ${removing ? describe(removing).title : ''} » ?`}
        confirmLabel="Supprimer"
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setRemoving(undefined)}
      >
        <p>
          Cette information sera retirée de votre profil médical : ni vous ni les professionnels ne
          la verrez plus.
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** "Exporter le profil médical": the DOCPAT08 document deposited in the record (the previous export replaced). */
function ExportProfile({ patientId }: { readonly patientId: string }): ReactNode {
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ id?: string; entries: number } | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const run = async (): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      const out = await sendJson<{
        parameter?: {
          name: string;
          valueReference?: { reference?: string };
          valueInteger?: number;
        }[];
      }>('POST', `/fhir/Patient/${encodeURIComponent(patientId)}/$export-profile`, {
        resourceType: 'Parameters',
        parameter: [{ name: 'deposit', valueBoolean: true }],
      });
      const ref = out?.parameter?.find((p) => p.name === 'document')?.valueReference?.reference;
      const id = ref?.split('/')[1];
      setDone({
        ...(id !== undefined ? { id } : {}),
        entries: out?.parameter?.find((p) => p.name === 'entries')?.valueInteger ?? 0,
      });
    } catch (err) {
      setFailure(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="profile-export">
      <h2 id="profile-export">Exporter le profil médical</h2>
      <p>
        Crée le document « Profil médical » dans vos documents, avec tout ce que contient cette page
        ; les professionnels que vous autorisez peuvent le lire. Un nouvel export remplace le
        précédent.
      </p>
      <div aria-live="polite">
        {done !== undefined && (
          <Alert kind="success">
            Le profil médical est exporté ({done.entries} informations).{' '}
            {done.id !== undefined && (
              <Link to={`/documents/${done.id}`}>Voir le document « Profil médical »</Link>
            )}
          </Alert>
        )}
        {failure !== undefined && <Alert kind="error">{failure}</Alert>}
      </div>
      <button type="button" className="button primary" disabled={busy} onClick={() => void run()}>
        {busy ? 'Veuillez patienter…' : 'Exporter le profil médical'}
      </button>
    </section>
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
  const changed = (message: string, kind: 'success' | 'error' = 'success'): void => {
    showFlash(kind, message);
    state.reload();
  };

  const entries = state.data ?? [];
  return (
    <>
      <h1>Profil médical</h1>
      <p>
        Les informations de santé que vous notez vous-même : elles aident les professionnels que
        vous autorisez à mieux vous soigner. Ajoutez, modifiez ou supprimez chacune d’elles.
      </p>
      <div aria-live="polite">{flash}</div>
      {state.loading && state.data === undefined ? (
        <Loading />
      ) : state.error !== undefined ? (
        <ErrorMessage error={state.error} />
      ) : (
        <div className="grid profile-grid">
          {PROFILE_SECTIONS.map((s) => {
            const editor = EDITORS.find((x) => x.section === s.code);
            return editor ? (
              <Section
                key={s.code}
                title={s.title}
                code={s.code}
                editor={editor}
                list={entries.filter((e) => sectionOf(e) === s.code)}
                subject={subject}
                onChanged={changed}
              />
            ) : null;
          })}
        </div>
      )}
      <ExportProfile patientId={record.patient.id} />
    </>
  );
}
