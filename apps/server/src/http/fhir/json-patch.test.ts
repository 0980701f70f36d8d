import { describe, expect, it } from 'vitest';
import { applyPatch, JsonPatchError, readPatch } from './json-patch.ts';

describe('JSON Patch (RFC 6902)', () => {
  const doc = {
    status: 'current',
    securityLabel: [{ code: 'N' }],
    extension: [{ url: 'x', valueBoolean: false }],
  };

  it('applies add (with -), remove, replace, move, copy and test without touching the input', () => {
    const out = applyPatch(doc, [
      { op: 'test', path: '/status', value: 'current' },
      { op: 'add', path: '/securityLabel/-', value: { code: 'MASQUE_PS' } },
      { op: 'replace', path: '/extension/0/valueBoolean', value: true },
      { op: 'copy', from: '/status', path: '/copied' },
      { op: 'move', from: '/copied', path: '/moved' },
      { op: 'remove', path: '/securityLabel/0' },
    ]);
    expect(out).toEqual({
      status: 'current',
      securityLabel: [{ code: 'MASQUE_PS' }],
      extension: [{ url: 'x', valueBoolean: true }],
      moved: 'current',
    });
    expect(doc.securityLabel).toEqual([{ code: 'N' }]);
  });

  it('decodes ~0 and ~1 in pointers', () => {
    expect(
      applyPatch({ 'a/b': 1, 'c~d': 2 }, [
        { op: 'remove', path: '/a~1b' },
        { op: 'replace', path: '/c~0d', value: 3 },
      ]),
    ).toEqual({ 'c~d': 3 });
  });

  it('reports the failing operation', () => {
    expect(() => applyPatch(doc, [{ op: 'remove', path: '/nothing' }])).toThrow(JsonPatchError);
    try {
      applyPatch(doc, [
        { op: 'test', path: '/status', value: 'current' },
        { op: 'test', path: '/status', value: 'superseded' },
      ]);
    } catch (e) {
      expect(e).toMatchObject({ index: 1, kind: 'test-failed' });
    }
    expect(() => applyPatch(doc, [{ op: 'add', path: '/securityLabel/5', value: 1 }])).toThrow(
      /index/,
    );
  });

  it('reads only well-formed patch documents', () => {
    expect(() => readPatch({})).toThrow(JsonPatchError);
    expect(() => readPatch([])).toThrow(JsonPatchError);
    expect(() => readPatch([{ op: 'add', path: '/x' }])).toThrow(/value/);
    expect(() => readPatch([{ op: 'move', path: '/x' }])).toThrow(/from/);
    expect(readPatch([{ op: 'remove', path: '/x' }])).toEqual([{ op: 'remove', path: '/x' }]);
  });
});
