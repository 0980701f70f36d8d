import { describe, expect, it } from 'vitest';
import { DomainFailure } from '../../domain/errors.ts';
import { dateRange, parseDocumentSearch, parseListSearch } from './search-params.ts';

const PATIENT = { 'patient.identifier': 'urn:oid:1.2.250.1.213.1.4.10|279035121518989' };

function codes(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainFailure) {
      return (e.error.issues ?? [e.error]).map((i) => i.code);
    }
    throw e;
  }
  return [];
}

describe('ITI-67 parameters', () => {
  it('defaults: current and superseded, not archived, 100 per page', () => {
    const s = parseDocumentSearch(PATIENT);
    expect(s.patient).toEqual({ kind: 'ins', ins: '279035121518989', oid: '1.2.250.1.213.1.4.10' });
    expect(s.filter).toMatchObject({
      statuses: ['current', 'superseded'],
      archived: false,
      dates: [],
    });
    expect(s.count).toBe(100);
  });

  it('reads tokens (system|code, comma = OR) and repeated dates (AND)', () => {
    const s = parseDocumentSearch({
      ...PATIENT,
      type: 'http://loinc.org|11488-4,34133-9',
      'security-label': 'MASQUE_PS',
      date: ['ge2024-01', 'lt2024-02-01T00:00:00Z'],
      status: 'entered-in-error',
    });
    expect(s.filter.typeCodes).toEqual(['11488-4', '34133-9']);
    expect(s.filter.securityLabels).toEqual(['MASQUE_PS']);
    expect(s.filter.statuses).toEqual([]);
    expect(s.filter.dates).toEqual([
      { column: 'doc_date', op: '>=', at: new Date('2024-01-01T00:00:00Z') },
      { column: 'doc_date', op: '<', at: new Date('2024-02-01T00:00:00Z') },
    ]);
  });

  it('gives the range of a date by its precision', () => {
    expect(dateRange('2024')).toEqual({
      start: new Date('2024-01-01T00:00:00Z'),
      end: new Date('2025-01-01T00:00:00Z'),
    });
    expect(dateRange('2024-02-28')?.end).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(dateRange('2024-05-02T09:30:00+02:00')).toEqual({
      start: new Date('2024-05-02T07:30:00Z'),
      end: new Date('2024-05-02T07:30:01Z'),
    });
    expect(dateRange('02/05/2024')).toBeUndefined();
  });

  it('refuses what it does not understand, all at once', () => {
    expect(codes(() => parseDocumentSearch({ type: '1' }))).toEqual([
      'DOC_SEARCH_PATIENT_REQUIRED',
    ]);
    expect(
      codes(() =>
        parseDocumentSearch({
          ...PATIENT,
          colour: 'blue',
          _count: '0',
          date: 'ne2024',
          status: 'draft',
        }),
      ),
    ).toEqual([
      'DOC_SEARCH_PARAM_UNKNOWN',
      'DOC_SEARCH_STATUS_INVALID',
      'DOC_SEARCH_DATE_INVALID',
      'DOC_SEARCH_COUNT_INVALID',
    ]);
    expect(
      codes(() =>
        parseDocumentSearch({
          'patient.identifier': 'urn:oid:1.2.250.1.213.1.4.10|279035121518988',
        }),
      ),
    ).toEqual(['ID_INS_KEY']);
  });
});

describe('parseListSearch: identifier in the registry’s terms (ADR 0033)', () => {
  const uuid = '8d0a187d-cd72-45be-a4ad-80f5a7d4494c';
  it.each([
    ['urn:ietf:rfc:3986|urn:oid:1.2.3', { uniqueIds: ['1.2.3'], entryUuids: [] }],
    ['urn:oid:1.2.3', { uniqueIds: ['1.2.3'], uniqueIdExtension: 'urn:oid:1.2.3', entryUuids: [] }],
    ['urn:oid:1.2.3|ABC', { uniqueIds: ['1.2.3^ABC'], entryUuids: [] }],
    ['ABC', { uniqueIds: [], uniqueIdExtension: 'ABC', entryUuids: [] }],
    [`urn:ietf:rfc:3986|urn:uuid:${uuid}`, { uniqueIds: [uuid], entryUuids: [uuid] }],
    ['http://example.org|urn:oid:1.2.3', { uniqueIds: [], entryUuids: [] }],
  ])('%s', (token, expected) => {
    const [identifier] = parseListSearch({ ...PATIENT, identifier: token }).identifiers;
    const { carried: _carried, ...neutral } = identifier ?? { carried: undefined };
    expect(neutral).toEqual(expected);
  });
});
