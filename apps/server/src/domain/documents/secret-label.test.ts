import { describe, expect, it } from 'vitest';
import type { DocumentMetadata } from './model.ts';
import { INVISIBLE_REPRESENTANTS_LEGAUX, withSecretLabel } from './secret-label.ts';

const N = { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' };
const meta = (codes: { system: string; code: string }[]): DocumentMetadata =>
  ({ confidentiality: codes }) as unknown as DocumentMetadata;
const codes = (m: DocumentMetadata): string[] => m.confidentiality.map((c) => c.code);

describe('withSecretLabel (issue 17 rule 2, SL1–SL2)', () => {
  it('adds INVISIBLE_REPRESENTANTS_LEGAUX, in the terminology’s spelling, to a secret deposit on a minor’s record', () => {
    const out = withSecretLabel(meta([N]), true, true);
    expect(codes(out)).toEqual(['N', INVISIBLE_REPRESENTANTS_LEGAUX]);
    expect(out.confidentiality[1]?.system).toBe(
      'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument',
    );
  });

  it('keeps a label already sent (once)', () => {
    const sent = meta([
      N,
      { system: 'urn:oid:1.2.250.1.213.1.1.4.13', code: INVISIBLE_REPRESENTANTS_LEGAUX },
    ]);
    expect(withSecretLabel(sent, true, true)).toBe(sent);
  });

  it.each([
    ['not secret, minor', false, true],
    ['secret, adult', true, false],
  ])('%s: unchanged', (_name, secret, minor) => {
    const sent = meta([N]);
    expect(withSecretLabel(sent, secret, minor)).toBe(sent);
  });
});
