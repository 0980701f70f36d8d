import { describe, expect, it } from 'vitest';
import defaultMatrixJson from '../../../reference/access-matrix/default.json' with { type: 'json' };
import g15 from '../../../reference/value-sets/TRE_G15-ProfessionSante-FHIR.json' with { type: 'json' };
import {
  DMP_CLASS_CODES,
  findMatrixRow,
  matrixAllows,
  parseAccessMatrix,
  type AccessMatrix,
} from './matrix.ts';

function parsed(json: unknown): AccessMatrix {
  const result = parseAccessMatrix(json);
  if (!result.ok) {
    throw new Error(JSON.stringify(result.error));
  }
  return result.value;
}

const allClasses = (value: boolean): Record<string, boolean> =>
  Object.fromEntries(DMP_CLASS_CODES.map((c) => [c, value]));

function minimal(rows: unknown[]): Record<string, unknown> {
  return {
    format: 'opendmp-access-matrix/1',
    version: 'test',
    profileDocument: { typeCode: 'DOCPAT08', classCode: '11' },
    rows,
  };
}

describe('the shipped default matrix', () => {
  const matrix = parsed(defaultMatrixJson);

  it('has a row for every TRE_G15 profession still in force', () => {
    const active = g15.concept
      .filter((c) => !c.property.some((p) => p.code === 'dateFin'))
      .map((c) => c.code);
    expect(active.length).toBeGreaterThanOrEqual(29);
    for (const code of active) {
      expect(findMatrixRow(matrix, { profession: code }), `profession ${code}`).toBeDefined();
    }
  });

  it('has social and medico-social roles (TRE_R94) and titles (TRE_R95)', () => {
    expect(matrix.rows.filter((r) => r.system === 'TRE_R94').length).toBeGreaterThanOrEqual(12);
    expect(findMatrixRow(matrix, { system: 'TRE_R95', profession: '93' })?.label).toBe(
      'Psychologue',
    );
  });

  it.each([
    [
      'dentist, delivery report',
      { profession: '40' },
      { typeCode: '15508-5', classCode: '10' },
      false,
    ],
    [
      'dentist, advance directives',
      { profession: '40' },
      { typeCode: 'EXPPAT_3', classCode: '90' },
      false,
    ],
    [
      'dentist, consultation report',
      { profession: '40' },
      { typeCode: '11488-4', classCode: '10' },
      true,
    ],
    [
      'dentist, other patient document',
      { profession: '40' },
      { typeCode: 'EXPPAT_2', classCode: '90' },
      true,
    ],
    [
      'pédicure-podologue, delivery report',
      { profession: '80' },
      { typeCode: '15508-5', classCode: '10' },
      false,
    ],
    [
      'pédicure-podologue, advance directives',
      { profession: '80' },
      { typeCode: 'EXPPAT_3', classCode: '90' },
      true,
    ],
    [
      'médecin, delivery report',
      { profession: '10' },
      { typeCode: '15508-5', classCode: '10' },
      true,
    ],
    [
      'médecin, reimbursement',
      { profession: '10', specialty: 'SM26' },
      { typeCode: 'REMB', classCode: '60' },
      true,
    ],
    [
      'médecin du travail, anything',
      { profession: '10', specialty: 'SM25' },
      { typeCode: '11488-4', classCode: '10' },
      false,
    ],
    [
      'sage-femme, delivery report',
      { profession: '50' },
      { typeCode: '15508-5', classCode: '10' },
      true,
    ],
    [
      'pharmacien, dispensation',
      { profession: '21' },
      { typeCode: '60593-1', classCode: '43' },
      true,
    ],
    [
      'infirmier, administered treatment',
      { profession: '60' },
      { typeCode: '80565-5', classCode: '45' },
      true,
    ],
    ['kiné, imaging report', { profession: '70' }, { typeCode: '18748-4', classCode: '31' }, true],
    ['kiné, reimbursement', { profession: '70' }, { typeCode: 'REMB', classCode: '60' }, false],
    [
      'préparateur en pharmacie, prescription',
      { profession: '39' },
      { typeCode: '57833-6', classCode: '42' },
      true,
    ],
    [
      'préparateur en pharmacie, report',
      { profession: '39' },
      { typeCode: '11488-4', classCode: '10' },
      false,
    ],
    ['unknown profession', { profession: '99' }, { typeCode: '11488-4', classCode: '10' }, false],
    [
      'G16 student (no row)',
      { system: 'TRE_G16', profession: '10' },
      { typeCode: '11488-4', classCode: '10' },
      false,
    ],
  ] as const)('%s → %s', (_n, who, kind, expected) => {
    expect(matrixAllows(matrix, who, kind)).toBe(expected);
  });

  it('judges the medical profile as the DOCPAT08 type (class 11)', () => {
    expect(matrix.profileDocument).toEqual({ typeCode: 'DOCPAT08', classCode: '11' });
  });
});

describe('parseAccessMatrix', () => {
  const ok = minimal([{ profession: '10', classes: allClasses(true) }]);

  it('accepts a minimal matrix, system defaulting to TRE_G15', () => {
    const matrix = parsed(ok);
    expect(matrix.rows[0]?.system).toBe('TRE_G15');
    expect(matrixAllows(matrix, { profession: '10' }, { typeCode: 'x', classCode: '10' })).toBe(
      true,
    );
  });

  it('lets a type exception open a type of a closed class', () => {
    const matrix = parsed(
      minimal([{ profession: '36', classes: allClasses(false), types: { '18761-7': true } }]),
    );
    expect(
      matrixAllows(matrix, { profession: '36' }, { typeCode: '18761-7', classCode: '11' }),
    ).toBe(true);
    expect(
      matrixAllows(matrix, { profession: '36' }, { typeCode: '34133-9', classCode: '11' }),
    ).toBe(false);
  });

  it('uses a specialty row instead of the profession row, and the profession row otherwise', () => {
    const matrix = parsed(
      minimal([
        { profession: '10', classes: allClasses(true) },
        { profession: '10', specialty: 'SM25', classes: allClasses(false) },
      ]),
    );
    const kind = { typeCode: 'x', classCode: '11' };
    expect(matrixAllows(matrix, { profession: '10', specialty: 'SM25' }, kind)).toBe(false);
    expect(matrixAllows(matrix, { profession: '10', specialty: 'SM04' }, kind)).toBe(true);
    expect(matrixAllows(matrix, { profession: '10' }, kind)).toBe(true);
  });

  const { ['95']: _dropped, ...missing95 } = allClasses(true);
  it.each([
    ['not an object', [], '$'],
    ['wrong format', { ...ok, format: 'v0' }, 'format'],
    ['no version', { ...ok, version: '' }, 'version'],
    ['no rows', minimal([]), 'rows'],
    ['rows not an array', { ...ok, rows: {} }, 'rows'],
    ['row not an object', minimal(['10']), 'rows[0]'],
    ['missing profession', minimal([{ classes: allClasses(true) }]), 'rows[0].profession'],
    ['a class missing', minimal([{ profession: '10', classes: missing95 }]), 'rows[0].classes.95'],
    [
      'a class not boolean',
      minimal([{ profession: '10', classes: { ...allClasses(true), '10': 'yes' } }]),
      'rows[0].classes.10',
    ],
    [
      'an unknown class',
      minimal([{ profession: '10', classes: { ...allClasses(true), '99': true } }]),
      'rows[0].classes.99',
    ],
    [
      'bad system',
      minimal([{ system: 'G15', profession: '10', classes: allClasses(true) }]),
      'rows[0].system',
    ],
    [
      'type exception not boolean',
      minimal([{ profession: '10', classes: allClasses(true), types: { X: 1 } }]),
      'rows[0].types',
    ],
    [
      'unknown row field',
      minimal([{ profession: '10', classes: allClasses(true), allow: [] }]),
      'rows[0].allow',
    ],
    [
      'duplicate row',
      minimal([
        { profession: '10', classes: allClasses(true) },
        { system: 'TRE_G15', profession: '10', classes: allClasses(false) },
      ]),
      'rows[1]',
    ],
    [
      'specialty row without its profession row',
      minimal([{ profession: '10', specialty: 'SM25', classes: allClasses(false) }]),
      'rows',
    ],
    [
      'profile document of an unknown class',
      { ...ok, profileDocument: { typeCode: 'DOCPAT08', classCode: '12' } },
      'profileDocument.classCode',
    ],
    ['no profile document', { ...ok, profileDocument: undefined }, 'profileDocument'],
  ] as const)('refuses %s (at %s)', (_n, json, location) => {
    const result = parseAccessMatrix(json);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.every((i) => i.code === 'ACCESS_MATRIX_INVALID')).toBe(true);
      expect(result.error.flatMap((i) => i.location ?? [])).toContain(location);
    }
  });
});
