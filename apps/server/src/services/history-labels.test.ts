import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACTION_LABELS,
  accessModeLabel,
  actionLabel,
  actorDisplay,
  refusalReason,
} from './history-labels.ts';

const G15: Readonly<Record<string, string>> = { '10': 'Médecin', '21': 'Pharmacien' };
const profession = (code: string): string | undefined => G15[code];

/** Every `'family.action'` literal of the server's sources (tests left out): the actions a trace can carry. */
function tracedActions(): string[] {
  const root = join(import.meta.dirname, '..');
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(
          /'((?:auth|record|consent|document|communication|notification|inbox|opposition|profile|care-history|audit|representation|list)\.[a-z][a-z0-9.-]*)'/g,
        )) {
          found.add(m[1] as string);
        }
      }
    }
  };
  walk(root);
  return [...found].sort();
}

describe('the access history in French (issue 21 point 1, L1–L4)', () => {
  it.each([
    ['communication.search', 'Consultation des notifications'],
    ['care-history.read', 'Consultation de l’historique des soins'],
    ['document.retrieve', 'Ouverture d’un document'],
    ['record.last-visit', 'Ouverture du dossier par un professionnel'],
    ['profile.record-vaccination', 'Vaccination enregistrée par un professionnel'],
    // L1: an action not in the table yet is named by its family, never by its code.
    ['document.something-new', 'Action sur un document'],
    ['consent.something-new', 'Action sur les autorisations d’accès'],
    ['job.outbox', 'Opération automatique'],
    ['unheard-of', 'Action sur le dossier'],
  ])('L1: %s → %s', (code, label) => {
    expect(actionLabel(code)).toBe(label);
  });

  it('L1: every action the server can trace has its own label, and no label shows a code', () => {
    const actions = tracedActions();
    expect(actions.length).toBeGreaterThan(60);
    const missing = actions.filter((a) => ACTION_LABELS[a] === undefined);
    expect(missing).toEqual([]);
    for (const label of Object.values(ACTION_LABELS)) {
      expect(label).not.toMatch(/[a-z]\.[a-z]|_[A-Z]|^[a-z]/);
    }
  });

  it.each([
    ['ACCESS_NO_AUTHORIZATION', 'ce professionnel n’était pas autorisé'],
    ['ACCESS_BLOCKED', 'ce professionnel est bloqué'],
    ['ACCESS_EMERGENCY_OBJECTED', 'les accès en urgence sont refusés'],
    ['SOMETHING_ELSE', 'les règles d’accès ne le permettaient pas'],
    [undefined, 'les règles d’accès ne le permettaient pas'],
  ])('L2: refusal %s → %s', (code, text) => {
    expect(refusalReason(code)).toBe(text);
  });

  it.each([
    ['bris_de_glace', 'Accès en urgence (bris de glace)'],
    ['centre_15', 'Accès par le SAMU (centre 15)'],
    ['other', 'Accès en urgence'],
  ])('L3: mode %s → %s', (mode, label) => {
    expect(accessModeLabel(mode)).toBe(label);
  });

  it.each([
    [
      'a médecin in the directory',
      {
        kind: 'professional',
        idNatPs: '810001000016',
        name: 'Anne CARDIO',
        profession: '10',
        structure: { id: '1750700007', name: 'Cabinet de cardiologie Voltaire' },
      },
      false,
      'Dr Anne CARDIO',
      'Médecin, Cabinet de cardiologie Voltaire',
    ],
    [
      'a pharmacist: no Dr',
      { kind: 'professional', idNatPs: '810001000040', name: 'Léa PHARMA', profession: '21' },
      false,
      'Léa PHARMA',
      'Pharmacien',
    ],
    [
      'a médecin outside the directory',
      {
        kind: 'professional',
        idNatPs: '810009999990',
        profession: '10',
        structure: { id: '1759999999' },
      },
      false,
      'Médecin hors annuaire (n° 810009999990)',
      'structure n° 1759999999',
    ],
    [
      'an unknown profession outside the directory',
      { kind: 'professional', idNatPs: '810009999991', profession: '99' },
      false,
      'Professionnel de santé hors annuaire (n° 810009999991)',
      '',
    ],
    ['the holder, read by the holder', { kind: 'patient' }, false, 'Vous', ''],
    [
      'the holder, read by a representative',
      { kind: 'patient' },
      true,
      'Le titulaire du dossier',
      '',
    ],
    ['the operator', { kind: 'operator' }, false, 'L’Assurance Maladie (gestionnaire du DMP)', ''],
  ])('L4: %s', (_, actor, representative, who, details) => {
    expect(actorDisplay(actor, profession, representative)).toEqual({ who, details });
  });

  const CLAIRE = {
    kind: 'representative',
    name: 'Claire SIMON',
    representativeId: '284067505600131',
  };
  const MARC = {
    kind: 'representative',
    name: 'Marc FOURNIER',
    representativeId: '179059205012306',
  };
  it.each([
    [
      'the holder reads a representative: agreed',
      CLAIRE,
      false,
      undefined,
      'Claire SIMON',
      'votre représentante légale',
    ],
    ['…and a man', MARC, false, undefined, 'Marc FOURNIER', 'votre représentant légal'],
    ['a representative reads their own action', CLAIRE, true, '284067505600131', 'Vous', ''],
    [
      'a representative reads another one’s',
      MARC,
      true,
      '284067505600131',
      'Marc FOURNIER',
      'représentant légal du titulaire',
    ],
    [
      'no NIR to tell: no agreement',
      { kind: 'representative', name: 'Alex MARTIN', representativeId: 'sub-8812' },
      false,
      undefined,
      'Alex MARTIN',
      'représentation légale',
    ],
    [
      'no name either',
      { kind: 'representative' },
      false,
      undefined,
      'Une personne qui vous représente légalement',
      '',
    ],
  ])('L4: %s', (_, actor, readerIsRepresentative, readerId, who, details) => {
    expect(actorDisplay(actor, profession, readerIsRepresentative, readerId)).toEqual({
      who,
      details,
    });
  });
});
