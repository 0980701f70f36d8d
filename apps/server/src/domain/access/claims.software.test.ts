/** Issue 17 rule 12: the structure software actor and the professionals' authentication strength, from claims. */
import { describe, expect, it } from 'vitest';
import { actorFromClaims, authStrengthOf, claimsFromActor } from './claims.ts';

describe('a structure software from its claims', () => {
  const claims = { kind: 'software', id: 'lps-dpi', structure: '1750300000', profile: 'deposit' };

  it('maps the software, its structure and its profile', () => {
    expect(actorFromClaims(claims)).toEqual({
      ok: true,
      value: { kind: 'software', id: 'lps-dpi', structure: '1750300000', profile: 'deposit' },
    });
  });

  it.each(['id', 'structure', 'profile'])('requires "%s"', (claim) => {
    const result = actorFromClaims({ ...claims, [claim]: undefined });
    expect(result.ok).toBe(false);
  });

  it('refuses an unknown profile', () => {
    const result = actorFromClaims({ ...claims, profile: 'everything' });
    expect(result.ok || result.error.location).toEqual(['profile']);
  });

  it('round-trips through the opendmp claims (the dev identity provider signs these)', () => {
    const actor = actorFromClaims({ ...claims, profile: 'consultation' });
    expect(actor.ok && actorFromClaims(claimsFromActor(actor.value))).toEqual(actor);
  });
});

describe('the authentication strength of a professional token', () => {
  it.each([
    [{ acr: 'eidas3', amr: ['pwd'] }, 'eidas3'],
    [{ amr: ['pwd', 'otp'] }, 'pwd+otp'],
    [{ amr: 'mfa' }, 'mfa'],
    [{}, undefined],
    [{ acr: '  ' }, undefined],
  ])('%o → %s', (claims, strength) => {
    expect(authStrengthOf(claims)).toBe(strength);
  });

  it('is recorded on the professional actor, in both vocabularies', () => {
    const psc = actorFromClaims({
      SubjectNameID: '899700427885',
      SubjectRole: ['10'],
      acr: 'eidas2',
    });
    expect(psc.ok && psc.value).toMatchObject({ kind: 'professional', authStrength: 'eidas2' });
    const ours = actorFromClaims({
      kind: 'professional',
      idNatPs: '899700427885',
      profession: '10',
      amr: ['hwk', 'pin'],
    });
    expect(ours.ok && ours.value).toMatchObject({ authStrength: 'hwk+pin' });
  });
});
