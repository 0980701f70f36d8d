/**
 * A KeyInfo certificate's fingerprint (vihf.ts V4): the SHA-256 of its DER from its base64 text, as the registry
 * stores it; remembered by the text, the same answer each time.
 */
import { describe, expect, it } from 'vitest';
import { demoVihfKey } from '../http/auth/dev-vihf.ts';
import { certificateFingerprint, keyInfoFingerprint } from './vihf.ts';

const pem = demoVihfKey().certificatePem;
const body = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
const registered = certificateFingerprint(pem);

describe('keyInfoFingerprint', () => {
  it.each([
    ['the base64 on one line', body],
    ['in lines of 64, as PEM writes it', body.replace(/(.{64})/g, '$1\n')],
    ['with spaces, tabs and CRLF around', ` \t${body.replace(/(.{76})/g, '$1\r\n')}\n `],
  ])('%s: the registered fingerprint, twice (remembered)', (_how, text) => {
    expect(keyInfoFingerprint(text)).toBe(registered);
    expect(keyInfoFingerprint(text)).toBe(registered);
  });

  it.each([
    ['URL-safe characters', body.replace(/\+/g, '-').replace(/\//g, '_')],
    ['a character outside the alphabet', `${body.slice(0, 10)}*${body.slice(10)}`],
    ['padding in the middle', `${body.slice(0, 8)}==${body.slice(8)}`],
    ['nothing but white space', ' \n '],
  ])('%s: unreadable (undefined), twice', (_how, text) => {
    expect(keyInfoFingerprint(text)).toBeUndefined();
    expect(keyInfoFingerprint(text)).toBeUndefined();
  });

  it('another certificate, another fingerprint; many texts seen keep the answers right', () => {
    for (let i = 0; i < 600; i++) {
      expect(keyInfoFingerprint(`QUJD${String(i).padStart(4, '0')}`)).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(keyInfoFingerprint(body)).toBe(registered);
    expect(keyInfoFingerprint('QUJD')).not.toBe(registered);
  });
});
