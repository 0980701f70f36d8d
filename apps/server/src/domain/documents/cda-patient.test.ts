import { describe, expect, it } from 'vitest';
import type { CdaRecordTarget } from './cda-header.ts';
import { checkPatientTraits, checkSinglePatient } from './cda-patient.ts';

const NIR = '1.2.250.1.213.1.4.8';
const TEST = '1.2.250.1.213.1.4.10';
const target = (
  ids: [string, string][],
  extra: Partial<CdaRecordTarget> = {},
): CdaRecordTarget => ({
  ids: ids.map(([root, extension]) => ({ root, extension })),
  ...extra,
});
const P1 = target([
  [TEST, '279035121518989'],
  ['1.2.3.4', 'IPP-1'],
]);

describe('one patient per CDA (issue 17 rule 10, CP1)', () => {
  it.each<[string, CdaRecordTarget[], string | undefined]>([
    ['one recordTarget', [P1], undefined],
    ['two recordTargets naming the same INS', [P1, target([[TEST, '279035121518989']])], undefined],
    [
      'a second recordTarget naming another patient',
      [P1, target([[TEST, '180017512345698']])],
      'DOC_CDA_PATIENT_MULTIPLE',
    ],
    [
      'the same number under another INS OID',
      [P1, target([[NIR, '279035121518989']])],
      'DOC_CDA_PATIENT_MULTIPLE',
    ],
    [
      'a second recordTarget naming someone by a local id only',
      [P1, target([['1.2.3.4', 'IPP-2']])],
      'DOC_CDA_PATIENT_MULTIPLE',
    ],
    [
      'one patientRole carrying two INS',
      [
        target([
          [TEST, '279035121518989'],
          [TEST, '180017512345698'],
        ]),
      ],
      'DOC_CDA_PATIENT_MULTIPLE',
    ],
  ])('%s', (_name, targets, code) => {
    expect(checkSinglePatient(targets)?.code).toBe(code);
  });
});

describe('the CDA patient’s traits agree with the record (CP2, CP3)', () => {
  const record = { sex: 'female', birthDate: '1979-03-21' };
  const codes = (t: Partial<CdaRecordTarget>, r = record) =>
    checkPatientTraits([target([[TEST, '279035121518989']], t)], r).map((i) => i.code);
  it.each<[string, Partial<CdaRecordTarget>, string[]]>([
    ['same sex and date', { gender: 'F', birthTime: '19790321' }, []],
    ['a birthTime with a time of day', { gender: 'F', birthTime: '197903210830+0100' }, []],
    ['year and month only', { birthTime: '197903' }, []],
    ['unknown day (00)', { birthTime: '19790300' }, []],
    ['no traits at all', {}, []],
    ['another sex', { gender: 'M', birthTime: '19790321' }, ['DOC_CDA_SEX_MISMATCH']],
    ['undifferentiated for a woman', { gender: 'UN' }, ['DOC_CDA_SEX_MISMATCH']],
    ['another day', { gender: 'F', birthTime: '19790322' }, ['DOC_CDA_BIRTH_DATE_MISMATCH']],
    ['another year', { birthTime: '1980' }, ['DOC_CDA_BIRTH_DATE_MISMATCH']],
    ['not a date', { birthTime: 'yesterday' }, ['DOC_CDA_BIRTH_DATE_MISMATCH']],
    [
      'both wrong',
      { gender: 'M', birthTime: '20010101' },
      ['DOC_CDA_SEX_MISMATCH', 'DOC_CDA_BIRTH_DATE_MISMATCH'],
    ],
  ])('%s', (_name, traits, expected) => {
    expect(codes(traits)).toEqual(expected);
  });

  it('does not compare the sex of a record whose sex is unknown', () => {
    expect(codes({ gender: 'M' }, { sex: 'unknown', birthDate: '1979-03-21' })).toEqual([]);
  });

  it('checks every recordTarget, not only the first', () => {
    const targets = [
      target([[TEST, '279035121518989']], { gender: 'F', birthTime: '19790321' }),
      target([[TEST, '279035121518989']], { gender: 'M', birthTime: '19790321' }),
    ];
    expect(checkPatientTraits(targets, record).map((i) => i.code)).toEqual([
      'DOC_CDA_SEX_MISMATCH',
    ]);
  });
});
