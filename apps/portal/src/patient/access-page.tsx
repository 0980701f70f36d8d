/**
 * "Qui peut accéder à mon dossier": authorizations (FHIR Consent permit), blocks (deny + professional),
 * care-team objections (deny + structure), emergency objections (deny + purpose TRE_R248) and the médecin
 * traitant (Patient.generalPractitioner), all through the public API.
 */
import { useState, type ReactNode } from 'react';
import { getJson, request, sendJson } from '../shared/api.ts';
import {
  consentKind,
  IDNAT_PS_SYSTEM,
  IDNAT_STRUCT_SYSTEM,
  resources,
  TRE_R248_SYSTEM,
  type Bundle,
  type Consent,
} from '../shared/fhir.ts';
import { accessMessage, agree, formatDate, professionalName, type Sex } from '../shared/format.ts';
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
import { labelOf, useValueSet } from '../shared/value-sets.ts';
import {
  lookupDirectory,
  ProfessionalPicker,
  searchDirectory,
  type DirectoryEntry,
} from './professional-picker.tsx';
import { useRecord } from './record.tsx';

type Mode = 'bris_de_glace' | 'centre_15';

const EMERGENCY: Readonly<Record<Mode, { title: string; text: string }>> = {
  bris_de_glace: {
    title: 'Accès en urgence (bris de glace)',
    text: 'Si vous ne pouvez pas donner votre accord (inconscience, urgence vitale), un professionnel peut ouvrir votre dossier en justifiant par écrit. Vous et votre médecin traitant en êtes avertis.',
  },
  centre_15: {
    title: 'Accès par le SAMU (centre 15)',
    text: 'Le médecin régulateur du SAMU peut consulter votre dossier lors d’un appel au 15. Vous et votre médecin traitant en êtes avertis.',
  },
};

function actorOf(c: Consent): { id?: string; name?: string; system?: string } {
  const ref = c.provision?.actor?.[0]?.reference;
  return {
    ...(ref?.identifier?.value !== undefined ? { id: ref.identifier.value } : {}),
    ...(ref?.display !== undefined ? { name: ref.display } : {}),
    ...(ref?.identifier?.system !== undefined ? { system: ref.identifier.system } : {}),
  };
}

function consentBody(
  identifier: string,
  provision: Record<string, unknown>,
): Record<string, unknown> {
  const [system, value] = identifier.split('|');
  return {
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' },
      ],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { identifier: { system, value } },
    provision,
  };
}

function actorProvision(
  type: 'permit' | 'deny',
  system: string,
  value: string,
): Record<string, unknown> {
  return {
    type,
    actor: [
      {
        role: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
              code: system === IDNAT_PS_SYSTEM ? 'PRCP' : 'CST',
            },
          ],
        },
        reference: { identifier: { system, value } },
      },
    ],
  };
}

export function AccessPage(): ReactNode {
  const record = useRecord();
  const g15 = useValueSet('G15');
  const consents = useAsync(
    (signal) =>
      getJson<Bundle<Consent>>(
        `/fhir/Consent?patient.identifier=${encodeURIComponent(record.identifier)}`,
        signal,
      ),
    [record.identifier],
  );
  const gpId = record.patient.generalPractitioner?.[0]?.identifier?.value;
  const gp = useAsync(
    async (): Promise<DirectoryEntry | undefined> =>
      gpId === undefined
        ? undefined
        : (await searchDirectory(gpId)).professionals.find((p) => p.idNatPs === gpId),
    [gpId],
  );
  const [flash, show] = useFlash();
  const [busy, setBusy] = useState(false);
  const [picker, setPicker] = useState<'block' | 'authorize' | 'gp' | undefined>();
  const [confirm, setConfirm] = useState<
    { title: string; text: string; label: string; run: () => Promise<void> } | undefined
  >();

  const list = resources(consents.data);
  const byKind = (k: string): Consent[] =>
    list.filter((c) => consentKind(c) === k && c.status === 'active');
  const authorizations = byKind('authorization');
  const professionals = authorizations.filter((c) => actorOf(c).system === IDNAT_PS_SYSTEM);
  const teams = authorizations.filter((c) => actorOf(c).system === IDNAT_STRUCT_SYSTEM);
  const blocks = byKind('block');
  const named = [...professionals, ...blocks]
    .map((c) => actorOf(c).id)
    .filter((id): id is string => id !== undefined);
  const namedKey = named.join(',');
  // The directory's civilité of the professionals named here, to agree the words with it (issue 21 point 8).
  const directory = useAsync(
    async () => new Map((await lookupDirectory(named)).professionals.map((p) => [p.idNatPs, p])),
    [namedKey],
  );
  const sexOf = (c: Consent): Sex | undefined => {
    const id = actorOf(c).id;
    return id === undefined ? undefined : directory.data?.get(id)?.sex;
  };
  const teamObjections = byKind('care-team-objection');
  const objections = byKind('emergency-objection');
  const objectionFor = (mode: Mode): Consent | undefined =>
    objections.find((c) => c.provision?.purpose?.some((p) => p.code === mode));
  const closed = record.status.status === 'closed';

  const act = async (run: () => Promise<unknown>, done: string): Promise<void> => {
    setBusy(true);
    try {
      await run();
      show('success', done);
      consents.reload();
    } catch (e) {
      show('error', messageOf(e));
    } finally {
      setBusy(false);
      setConfirm(undefined);
    }
  };
  const post = (provision: Record<string, unknown>): Promise<unknown> =>
    sendJson('POST', '/fhir/Consent', consentBody(record.identifier, provision));
  const end = (c: Consent): Promise<unknown> =>
    request(`/fhir/Consent/${encodeURIComponent(c.id)}`, { method: 'DELETE' });
  const setGp = async (idNatPs: string | undefined): Promise<void> => {
    await sendJson(
      'PATCH',
      `/fhir/Patient/${encodeURIComponent(record.patient.id)}`,
      [
        idNatPs === undefined
          ? { op: 'remove', path: '/generalPractitioner' }
          : {
              op: gpId === undefined ? 'add' : 'replace',
              path: '/generalPractitioner',
              value: [{ identifier: { system: IDNAT_PS_SYSTEM, value: idNatPs } }],
            },
      ],
      'application/json-patch+json',
    );
    record.reload();
  };

  const professionCodeOf = (c: Consent): string | undefined =>
    c.provision?.code?.[0]?.coding?.[0]?.code;
  const nameOf = (c: Consent, fallback: string): string => {
    const a = actorOf(c);
    return a.name !== undefined
      ? professionalName(a.name, professionCodeOf(c))
      : (a.id ?? fallback);
  };
  const professionOf = (c: Consent): string | undefined => {
    const code = c.provision?.code?.[0]?.coding?.[0]?.code;
    return code === undefined ? undefined : (labelOf(g15, code) ?? code);
  };

  return (
    <>
      <h1>Qui peut accéder {record.the.toRecord}</h1>
      {closed && (
        <Alert kind="warning">
          {record.the.Record} est fermé : aucun professionnel ne peut y accéder.
        </Alert>
      )}
      {flash}
      {consents.loading && !consents.data ? (
        <Loading />
      ) : consents.error !== undefined ? (
        <ErrorMessage error={consents.error} />
      ) : (
        <>
          <section className="card" aria-labelledby="gp-title">
            <h2 id="gp-title">Médecin traitant</h2>
            <p className="hint">
              Votre médecin traitant peut consulter tout votre dossier, y compris les documents que
              vous masquez aux autres professionnels.
            </p>
            {gpId === undefined ? (
              <p>Vous n’avez pas déclaré de médecin traitant.</p>
            ) : (
              <div className="row-item">
                <div>
                  <strong>
                    {gp.data ? professionalName(gp.data.name, gp.data.profession) : gpId}
                  </strong>
                  {gp.data && (
                    <p className="doc-meta">
                      {labelOf(g15, gp.data.profession) ?? gp.data.profession}
                      {gp.data.structure ? ` — ${gp.data.structure.name}` : ''}
                    </p>
                  )}
                </div>
                <button
                  type="button"
                  className="button secondary small"
                  disabled={busy}
                  onClick={() =>
                    setConfirm({
                      title: 'Retirer votre médecin traitant ?',
                      text: 'Votre médecin traitant n’aura plus d’accès particulier à votre dossier.',
                      label: 'Retirer',
                      run: () => act(() => setGp(undefined), 'Médecin traitant retiré.'),
                    })
                  }
                >
                  Retirer
                </button>
              </div>
            )}
            {picker === 'gp' ? (
              <ProfessionalPicker
                label="Rechercher votre médecin traitant"
                actionLabel="Choisir"
                busy={busy}
                // Issue 17 rule 3: the médecin traitant is a médecin (TRE_G15 10).
                only={{
                  accept: (p) => p.profession === '10',
                  none: 'Aucun médecin trouvé : le médecin traitant est un médecin.',
                }}
                onCancel={() => setPicker(undefined)}
                onPick={(p) => {
                  setPicker(undefined);
                  void act(
                    () => setGp(p.idNatPs),
                    `${professionalName(p.name, p.profession)} est votre médecin traitant.`,
                  );
                }}
              />
            ) : (
              <button
                type="button"
                className="button secondary"
                onClick={() => setPicker('gp')}
                disabled={busy}
              >
                {gpId === undefined ? 'Choisir un médecin traitant' : 'Changer de médecin traitant'}
              </button>
            )}
          </section>

          <section className="card" aria-labelledby="auth-title">
            <h2 id="auth-title">Professionnels autorisés</h2>
            <p className="hint">
              Ces professionnels ont déclaré votre accord. Ils voient les documents que leur
              profession permet de lire, sauf ceux que vous masquez.
            </p>
            {professionals.length === 0 ? (
              <p className="muted">Aucun professionnel n’a d’autorisation individuelle.</p>
            ) : (
              <ul className="plain-list">
                {professionals.map((c) => {
                  const a = actorOf(c);
                  return (
                    <li key={c.id} className="row-item">
                      <div>
                        <strong>{nameOf(c, '')}</strong>
                        <p className="doc-meta">
                          {professionOf(c) ?? 'Professionnel de santé'} ·{' '}
                          {agree(sexOf(c), 'autorisé', 'autorisée')} le {formatDate(c.dateTime)}
                        </p>
                      </div>
                      <div className="actions">
                        <button
                          type="button"
                          className="button secondary small"
                          disabled={busy}
                          aria-label={`Retirer l’autorisation de ${a.name ?? a.id ?? ''}`}
                          onClick={() =>
                            setConfirm({
                              title: 'Retirer cette autorisation ?',
                              text: `${nameOf(c, 'Ce professionnel')} ne pourra plus consulter votre dossier, sauf à déclarer de nouveau votre accord.`,
                              label: 'Retirer l’autorisation',
                              run: () => act(() => end(c), 'Autorisation retirée.'),
                            })
                          }
                        >
                          Retirer
                        </button>
                        <button
                          type="button"
                          className="button danger small"
                          disabled={busy || a.id === undefined}
                          aria-label={`Bloquer ${a.name ?? a.id ?? ''}`}
                          onClick={() =>
                            setConfirm({
                              title: `Bloquer ${nameOf(c, 'ce professionnel')} ?`,
                              text: `${nameOf(c, 'Ce professionnel')} ne pourra plus consulter ni alimenter votre dossier, même en urgence, tant que vous ne levez pas le blocage.`,
                              label: 'Bloquer',
                              run: () =>
                                act(
                                  () => post(actorProvision('deny', IDNAT_PS_SYSTEM, a.id ?? '')),
                                  accessMessage(
                                    'blocked',
                                    nameOf(c, 'ce professionnel'),
                                    sexOf(c),
                                    record.the.record,
                                  ),
                                ),
                            })
                          }
                        >
                          Bloquer
                        </button>
                      </div>
                    </li>
                  );
                })}
              </ul>
            )}
            {picker === 'authorize' ? (
              <ProfessionalPicker
                label="Autoriser un professionnel"
                actionLabel="Autoriser"
                busy={busy}
                onCancel={() => setPicker(undefined)}
                onPick={(p) => {
                  setPicker(undefined);
                  void act(
                    () => post(actorProvision('permit', IDNAT_PS_SYSTEM, p.idNatPs)),
                    accessMessage(
                      'authorized',
                      professionalName(p.name, p.profession),
                      p.sex,
                      record.the.record,
                    ),
                  );
                }}
              />
            ) : (
              <button
                type="button"
                className="button secondary"
                onClick={() => setPicker('authorize')}
                disabled={busy}
              >
                Autoriser un professionnel
              </button>
            )}
          </section>

          <section className="card" aria-labelledby="teams-title">
            <h2 id="teams-title">Équipes de soins</h2>
            <p className="hint">
              Les membres de l’équipe de soins d’un établissement qui vous prend en charge accèdent
              à votre dossier, sauf si vous vous y opposez.
            </p>
            {teams.length === 0 && teamObjections.length === 0 ? (
              <p className="muted">Aucune équipe de soins.</p>
            ) : (
              <ul className="plain-list">
                {teams.map((c) => {
                  const a = actorOf(c);
                  const objection = teamObjections.find((o) => actorOf(o).id === a.id);
                  return (
                    <li key={c.id} className="row-item">
                      <div>
                        <strong>{nameOf(c, '')}</strong>{' '}
                        {objection ? (
                          <Badge kind="danger">Vous vous y opposez</Badge>
                        ) : (
                          <Badge kind="success">Accès autorisé</Badge>
                        )}
                      </div>
                      {objection ? (
                        <button
                          type="button"
                          className="button secondary small"
                          disabled={busy}
                          onClick={() => void act(() => end(objection), 'Opposition levée.')}
                        >
                          Lever l’opposition
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="button secondary small"
                          disabled={busy || a.id === undefined}
                          onClick={() =>
                            void act(
                              () => post(actorProvision('deny', IDNAT_STRUCT_SYSTEM, a.id ?? '')),
                              'Opposition enregistrée.',
                            )
                          }
                        >
                          M’opposer
                        </button>
                      )}
                    </li>
                  );
                })}
              </ul>
            )}
          </section>

          <section className="card" aria-labelledby="blocks-title">
            <h2 id="blocks-title">Professionnels bloqués</h2>
            <p className="hint">
              Un professionnel bloqué ne peut ni consulter ni alimenter votre dossier, même en
              urgence.
            </p>
            {blocks.length === 0 ? (
              <p className="muted">Vous n’avez bloqué aucun professionnel.</p>
            ) : (
              <ul className="plain-list">
                {blocks.map((c) => {
                  const a = actorOf(c);
                  return (
                    <li key={c.id} className="row-item">
                      <div>
                        <strong>{nameOf(c, '')}</strong>
                        <p className="doc-meta">
                          {professionOf(c) ?? 'Professionnel de santé'} ·{' '}
                          {agree(sexOf(c), 'bloqué', 'bloquée')} le {formatDate(c.dateTime)}
                        </p>
                      </div>
                      <button
                        type="button"
                        className="button secondary small"
                        disabled={busy}
                        aria-label={`Débloquer ${a.name ?? a.id ?? ''}`}
                        onClick={() =>
                          void act(
                            () => end(c),
                            accessMessage(
                              'unblocked',
                              nameOf(c, 'ce professionnel'),
                              sexOf(c),
                              record.the.record,
                            ),
                          )
                        }
                      >
                        Débloquer
                      </button>
                    </li>
                  );
                })}
              </ul>
            )}
            {picker === 'block' ? (
              <ProfessionalPicker
                label="Bloquer un professionnel"
                actionLabel="Bloquer"
                busy={busy}
                onCancel={() => setPicker(undefined)}
                onPick={(p) => {
                  setPicker(undefined);
                  void act(
                    () => post(actorProvision('deny', IDNAT_PS_SYSTEM, p.idNatPs)),
                    accessMessage(
                      'blocked',
                      professionalName(p.name, p.profession),
                      p.sex,
                      record.the.record,
                    ),
                  );
                }}
              />
            ) : (
              <button
                type="button"
                className="button secondary"
                onClick={() => setPicker('block')}
                disabled={busy}
              >
                Bloquer un professionnel
              </button>
            )}
          </section>

          <section className="card" aria-labelledby="emergency-title">
            <h2 id="emergency-title">Accès en cas d’urgence</h2>
            {(['bris_de_glace', 'centre_15'] as const).map((mode) => {
              const objection = objectionFor(mode);
              return (
                <div key={mode} className="row-item">
                  <div>
                    <h3>
                      {EMERGENCY[mode].title}{' '}
                      {objection ? (
                        <Badge kind="danger">Refusé</Badge>
                      ) : (
                        <Badge kind="success">Accepté</Badge>
                      )}
                    </h3>
                    <p className="doc-meta">{EMERGENCY[mode].text}</p>
                  </div>
                  {objection ? (
                    <button
                      type="button"
                      className="button secondary small"
                      disabled={busy}
                      onClick={() =>
                        void act(
                          () => end(objection),
                          'Vous acceptez de nouveau cet accès en urgence.',
                        )
                      }
                    >
                      Accepter
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="button secondary small"
                      disabled={busy}
                      onClick={() =>
                        setConfirm({
                          title: `Refuser : ${EMERGENCY[mode].title} ?`,
                          text: 'En cas d’urgence, les professionnels qui vous prennent en charge ne pourront pas consulter votre dossier sans votre accord.',
                          label: 'Refuser cet accès',
                          run: () =>
                            act(
                              () =>
                                post({
                                  type: 'deny',
                                  purpose: [{ system: TRE_R248_SYSTEM, code: mode }],
                                }),
                              'Votre refus est enregistré.',
                            ),
                        })
                      }
                    >
                      Refuser
                    </button>
                  )}
                </div>
              );
            })}
          </section>
        </>
      )}
      <ConfirmDialog
        open={confirm !== undefined}
        title={confirm?.title ?? ''}
        confirmLabel={confirm?.label ?? 'Confirmer'}
        danger
        busy={busy}
        onConfirm={() => void confirm?.run()}
        onCancel={() => setConfirm(undefined)}
      >
        <p>{confirm?.text}</p>
      </ConfirmDialog>
    </>
  );
}
