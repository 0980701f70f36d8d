import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AnchorKeyError, keyIdOf, loadAnchorSettings } from './anchor-key.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'opendmp-anchor-key-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

describe('the anchor key', () => {
  it('is off outside demo mode without a key', () => {
    expect(loadAnchorSettings({ demo: false, dataDir: tmp() }, {})).toBeNull();
  });

  it('takes an Ed25519 key as PEM or base64 DER, and anchors under DATA_DIR/anchors by default', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const dataDir = tmp();
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const der = privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    const a = loadAnchorSettings({ demo: false, dataDir }, { OPENDMP_ANCHOR_KEY: pem })!;
    const b = loadAnchorSettings({ demo: false, dataDir }, { OPENDMP_ANCHOR_KEY: der })!;
    expect(a.keyId).toBe(keyIdOf(publicKey));
    expect(b.keyId).toBe(a.keyId);
    expect(a.dir).toBe(path.join(dataDir, 'anchors'));
    expect(a.intervalMs).toBe(15 * 60 * 1000);
  });

  it('refuses another kind of key, and a key file others can read', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() =>
      loadAnchorSettings({ demo: false, dataDir: tmp() }, { OPENDMP_ANCHOR_KEY: rsa }),
    ).toThrow(AnchorKeyError);
    const file = path.join(tmp(), 'anchor.pem');
    fs.writeFileSync(
      file,
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o644 },
    );
    fs.chmodSync(file, 0o644);
    expect(() =>
      loadAnchorSettings({ demo: false, dataDir: tmp() }, { OPENDMP_ANCHOR_KEY_FILE: file }),
    ).toThrow(/owner only/);
  });

  it('in demo mode, creates DATA_DIR/anchor.key (0600) once, with its public key beside it', () => {
    const dataDir = tmp();
    const first = loadAnchorSettings({ demo: true, dataDir }, {})!;
    const again = loadAnchorSettings({ demo: true, dataDir }, {})!;
    expect(again.keyId).toBe(first.keyId);
    expect(fs.statSync(path.join(dataDir, 'anchor.key')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dataDir, 'anchor.pub'), 'utf8')).toContain('PUBLIC KEY');
  });

  it('trusts further public keys for verification only (rotation, an auditor without the private key)', () => {
    const old = generateKeyPairSync('ed25519').publicKey;
    const spki = old.export({ type: 'spki', format: 'der' }).toString('base64');
    const verifier = loadAnchorSettings(
      { demo: false, dataDir: tmp() },
      { OPENDMP_ANCHOR_PUBLIC_KEYS: spki },
    )!;
    expect(verifier.privateKey).toBeNull();
    expect([...verifier.publicKeys.keys()]).toEqual([keyIdOf(old)]);
  });
});
