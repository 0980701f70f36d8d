import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inlineDocumentBytes } from './repository.ts';

/** The rule as it was written before the fast path: white space removed, the alphabet then at most two `=`. */
function former(text: string): Buffer | undefined {
  const bare = text.replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]*={0,2}$/.test(bare) ? Buffer.from(bare, 'base64') : undefined;
}

describe('inlineDocumentBytes (an xdsb:Document sent inline)', () => {
  const samples: string[] = [
    '',
    'QQ==',
    'QR==', // padding bits not zero: not canonical, still base64
    'QUI=',
    'QUJD',
    'QUJ',
    'Q',
    'QQ===',
    'QUJD=QUJD',
    'QUJD\nREVG',
    ' QUJD\r\n\tREVG ',
    'QUJD\u00a0REVG',
    'QU-D',
    'QU_D',
    'QU$D',
    'QUJD==',
  ];
  for (let i = 0; i < 200; i++) {
    const b64 = randomBytes(i).toString('base64');
    samples.push(b64, b64.replace(/(.{7})/g, '$1\n'), `${b64}=`, b64.replace(/[+/]/g, '_'));
  }

  it(`gives the same verdict and bytes as the rule before its fast path (${String(samples.length)} texts)`, () => {
    for (const text of samples) {
      const want = former(text);
      const got = inlineDocumentBytes(text);
      expect(got === undefined, JSON.stringify(text)).toBe(want === undefined);
      if (want && got) {
        expect(got.equals(want), JSON.stringify(text)).toBe(true);
      }
    }
  });
});
