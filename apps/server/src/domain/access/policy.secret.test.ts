/**
 * Issue 17 rule 2: connexion secrète for minors (CSP L1111-5). A professional in secret mode deposits on a
 * minor's record only documents invisible to the legal representatives (the shell adds the label; the policy
 * refuses a deposit without it); the representatives never see such a document nor lift its label; the minor
 * does.
 */
import { describe, expect, it } from 'vitest';
import type { NewDocumentFacts } from './facts.ts';
import {
  decide,
  doc,
  newDoc,
  outcome,
  patient,
  pro,
  PS,
  read,
  record,
  representative,
  STRUCT,
} from './policy.fixtures.ts';

const secretAuthor = pro({ idNatPs: PS.author, structure: STRUCT.hospital, secret: true });
const author = pro({ idNatPs: PS.author, structure: STRUCT.hospital });
const minor = record({ isMinor: true });
const adult = record();
const labelled = newDoc({ confidentiality: ['N', 'INVISIBLE_REPRESENTANTS_LEGAUX'] });
const plain = newDoc();

describe('deposits in connexion secrète (rule 2)', () => {
  it.each<[string, ReturnType<typeof pro>, ReturnType<typeof record>, NewDocumentFacts, string]>([
    ['secret, minor, labelled', secretAuthor, minor, labelled, 'ACCESS_GRANTED/author'],
    ['secret, minor, label missing', secretAuthor, minor, plain, 'ACCESS_SECRET_LABEL_REQUIRED'],
    [
      'secret, adult (no representative to hide from)',
      secretAuthor,
      adult,
      plain,
      'ACCESS_GRANTED/author',
    ],
    ['not secret, minor, no label', author, minor, plain, 'ACCESS_GRANTED/author'],
  ])('%s → %s', (_name, actor, rec, document, expected) => {
    expect(outcome(decide(actor, { action: 'document.deposit', document }, { record: rec }))).toBe(
      expected,
    );
  });

  it('a replacement in secret mode must carry the label too', () => {
    expect(
      outcome(
        decide(
          secretAuthor,
          { action: 'document.replace', document: doc(), replacement: plain },
          { record: minor },
        ),
      ),
    ).toBe('ACCESS_SECRET_LABEL_REQUIRED');
  });
});

describe('what the deposit of a connexion secrète shows to whom', () => {
  const secretDoc = doc({ confidentiality: ['N', 'INVISIBLE_REPRESENTANTS_LEGAUX'] });

  it('the minor reads it; the representative does not', () => {
    expect(outcome(decide(patient, read(secretDoc), { record: minor }))).toBe(
      'ACCESS_GRANTED/holder',
    );
    expect(outcome(decide(representative, read(secretDoc), { record: minor }))).toBe(
      'ACCESS_INVISIBLE',
    );
  });

  it.each(['set', 'unset'] as const)('the representative cannot %s its label', (operation) => {
    expect(
      outcome(
        decide(
          representative,
          {
            action: 'document.set-visibility',
            document: secretDoc,
            label: 'INVISIBLE_REPRESENTANTS_LEGAUX',
            operation,
          },
          { record: minor },
        ),
      ),
    ).toBe('ACCESS_INVISIBLE');
  });

  it('nor the minor (only the author lifts it)', () => {
    expect(
      outcome(
        decide(
          patient,
          {
            action: 'document.set-visibility',
            document: secretDoc,
            label: 'INVISIBLE_REPRESENTANTS_LEGAUX',
            operation: 'unset',
          },
          { record: minor },
        ),
      ),
    ).toBe('ACCESS_VISIBILITY_NOT_ALLOWED');
  });
});
