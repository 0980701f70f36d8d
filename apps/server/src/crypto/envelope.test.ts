import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDataKey, masterKeyId, open, seal, unwrapKey, wrapKey } from './envelope.ts';
import { Lru } from './lru.ts';
import { loadMasterKey, MasterKeyError, parseMasterKey } from './master-key.ts';

describe('AES-256-GCM envelope', () => {
  it('round-trips and leaves no clear byte in the ciphertext', () => {
    const key = generateDataKey();
    const clear = Buffer.from('<ClinicalDocument xmlns="urn:hl7-org:v3">secret</ClinicalDocument>');
    const sealed = seal(key, clear, 'aad');
    expect(sealed.ciphertext.includes('ClinicalDocument')).toBe(false);
    expect(sealed.nonce.length).toBe(12);
    expect(sealed.tag.length).toBe(16);
    expect(open(key, sealed, 'aad').equals(clear)).toBe(true);
  });

  it('refuses another AAD (another patient or content id), another key, or a flipped bit', () => {
    const key = generateDataKey();
    const sealed = seal(key, Buffer.from('document'), 'opendmp:content:v1:p1:c1:1');
    expect(() => open(key, sealed, 'opendmp:content:v1:p2:c1:1')).toThrow();
    expect(() => open(generateDataKey(), sealed, 'opendmp:content:v1:p1:c1:1')).toThrow();
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() =>
      open(key, { ...sealed, ciphertext: flipped }, 'opendmp:content:v1:p1:c1:1'),
    ).toThrow();
  });

  it('wraps a data key under the master key (60 bytes) and unwraps it only with the same AAD', () => {
    const master = randomBytes(32);
    const dataKey = generateDataKey();
    const wrapped = wrapKey(master, dataKey, 'p1:1');
    expect(wrapped.length).toBe(60);
    expect(unwrapKey(master, wrapped, 'p1:1').equals(dataKey)).toBe(true);
    expect(() => unwrapKey(master, wrapped, 'p2:1')).toThrow();
    expect(masterKeyId(master)).toMatch(/^[0-9a-f]{16}$/);
    expect(masterKeyId(master)).not.toBe(masterKeyId(randomBytes(32)));
  });
});

describe('master key', () => {
  it('reads a base64 32-byte key and refuses anything else', () => {
    const key = randomBytes(32);
    expect(parseMasterKey(key.toString('base64'), 'k').equals(key)).toBe(true);
    expect(() => parseMasterKey(randomBytes(16).toString('base64'), 'k')).toThrow(MasterKeyError);
    expect(() => parseMasterKey('not base64!', 'k')).toThrow(MasterKeyError);
  });

  it('is required outside demo mode; in demo mode it is generated once in DATA_DIR/master.key (0600)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-key-'));
    try {
      expect(() => loadMasterKey({ masterKey: undefined, demo: false, dataDir: dir })).toThrow(
        MasterKeyError,
      );
      const first = loadMasterKey({ masterKey: undefined, demo: true, dataDir: dir });
      expect(first.length).toBe(32);
      expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
      const other = path.join(dir, 'again');
      fs.mkdirSync(other);
      fs.copyFileSync(path.join(dir, 'master.key'), path.join(other, 'master.key'));
      fs.chmodSync(path.join(other, 'master.key'), 0o600);
      expect(
        loadMasterKey({ masterKey: undefined, demo: true, dataDir: other }).equals(first),
      ).toBe(true);
      const loose = path.join(dir, 'loose');
      fs.mkdirSync(loose);
      fs.writeFileSync(path.join(loose, 'master.key'), randomBytes(32).toString('base64'), {
        mode: 0o644,
      });
      fs.chmodSync(path.join(loose, 'master.key'), 0o644);
      expect(() => loadMasterKey({ masterKey: undefined, demo: true, dataDir: loose })).toThrow(
        /chmod 600/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('LRU', () => {
  it('evicts the least recently used entry', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.size).toBe(2);
  });
});
