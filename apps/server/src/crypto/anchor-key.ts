import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';

/**
 * The Ed25519 key that signs the trace anchors (heads of every chain, written outside the database; ADR 0013).
 * The database never holds it, so whoever can rewrite the database cannot forge an anchor.
 *
 *  - `OPENDMP_ANCHOR_KEY`: the private key, PKCS#8 PEM text or base64 of its DER;
 *  - `OPENDMP_ANCHOR_KEY_FILE`: or a file holding it (PEM), readable by its owner only;
 *  - demo mode without either: `DATA_DIR/anchor.key` (PEM, mode 0600), generated on first start, and its public key
 *    in `DATA_DIR/anchor.pub`;
 *  - `OPENDMP_ANCHOR_PUBLIC_KEYS`: further public keys trusted by `opendmp audit verify` (comma-separated base64 of
 *    SPKI DER, or paths of PEM files): the keys of earlier anchors after a rotation, or an auditor's copy of the
 *    public key when the verifier holds no private key;
 *  - `OPENDMP_ANCHOR_DIR`: where anchors go (default `DATA_DIR/anchors`);
 *  - `OPENDMP_ANCHOR_INTERVAL_MS`: how often the `anchor` job writes one (default 15 minutes).
 * Outside demo mode with no key, nothing is anchored (the service says so at start, `verify` too).
 */
export const ANCHOR_KEY_FILE = 'anchor.key';
export const ANCHOR_PUBLIC_FILE = 'anchor.pub';

export class AnchorKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnchorKeyError';
  }
}

export interface AnchorSettings {
  /** Directory of the anchor files (append-only: files are created, never rewritten). */
  readonly dir: string;
  /** The signing key; null when only public keys are known (a verifier's setup). */
  readonly privateKey: KeyObject | null;
  /** Key id of the signing key (hex prefix of the SHA-256 of its public key's SPKI DER). */
  readonly keyId: string | null;
  /** Every trusted public key by key id, the signing key's included. */
  readonly publicKeys: ReadonlyMap<string, KeyObject>;
  readonly intervalMs: number;
}

/** The key id of a public key: the first 16 bytes (hex) of the SHA-256 of its SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 32);
}

function parsePrivateKey(text: string, origin: string): KeyObject {
  let key: KeyObject;
  try {
    const trimmed = text.trim();
    key = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey(trimmed)
      : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new AnchorKeyError(`${origin} is not a PKCS#8 private key (PEM, or base64 of its DER)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AnchorKeyError(`${origin} must be an Ed25519 key`);
  }
  return key;
}

function parsePublicKey(entry: string): KeyObject {
  const text = entry.trim();
  try {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || fs.existsSync(text)) {
      return createPublicKey(fs.readFileSync(text, 'utf8'));
    }
    return createPublicKey({ key: Buffer.from(text, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new AnchorKeyError(
      `OPENDMP_ANCHOR_PUBLIC_KEYS: ${text.slice(0, 40)} is neither base64 SPKI nor a PEM file`,
    );
  }
}

function ownerOnly(file: string): void {
  if ((fs.statSync(file).mode & 0o077) !== 0) {
    throw new AnchorKeyError(`${file} must be readable by its owner only (chmod 600)`);
  }
}

/** DATA_DIR/anchor.key, created (mode 0600) with its public key on first use. */
function demoKey(dataDir: string): KeyObject {
  const file = path.join(dataDir, ANCHOR_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  if (!fs.existsSync(file)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      } finally {
        fs.closeSync(fd);
      }
      fs.writeFileSync(
        path.join(dataDir, ANCHOR_PUBLIC_FILE),
        publicKey.export({ type: 'spki', format: 'pem' }),
        { mode: 0o644 },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
  }
  ownerOnly(file);
  return parsePrivateKey(fs.readFileSync(file, 'utf8'), file);
}

/** OPENDMP_ANCHOR_INTERVAL_MS, default 15 minutes. */
export function anchorIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const interval = Number(env['OPENDMP_ANCHOR_INTERVAL_MS'] || 15 * 60 * 1000);
  if (!Number.isInteger(interval) || interval <= 0) {
    throw new AnchorKeyError('OPENDMP_ANCHOR_INTERVAL_MS must be a positive integer');
  }
  return interval;
}

/**
 * The anchor settings of this environment, or null when no key is configured (outside demo mode). A key that is
 * set but unreadable or malformed throws: the start stops rather than run unanchored by mistake.
 */
export function loadAnchorSettings(
  config: Pick<Config, 'demo' | 'dataDir'>,
  env: NodeJS.ProcessEnv = process.env,
): AnchorSettings | null {
  let privateKey: KeyObject | null = null;
  const inline = env['OPENDMP_ANCHOR_KEY'];
  const file = env['OPENDMP_ANCHOR_KEY_FILE'];
  if (inline) {
    privateKey = parsePrivateKey(inline, 'OPENDMP_ANCHOR_KEY');
  } else if (file) {
    ownerOnly(file);
    privateKey = parsePrivateKey(fs.readFileSync(file, 'utf8'), file);
  } else if (config.demo) {
    privateKey = demoKey(config.dataDir);
  }
  const publicKeys = new Map<string, KeyObject>();
  let keyId: string | null = null;
  if (privateKey) {
    const pub = createPublicKey(privateKey);
    keyId = keyIdOf(pub);
    publicKeys.set(keyId, pub);
  }
  for (const entry of (env['OPENDMP_ANCHOR_PUBLIC_KEYS'] ?? '').split(',')) {
    if (entry.trim() !== '') {
      const pub = parsePublicKey(entry);
      publicKeys.set(keyIdOf(pub), pub);
    }
  }
  if (publicKeys.size === 0) {
    return null;
  }
  const interval = anchorIntervalMs(env);
  return {
    dir: path.resolve(env['OPENDMP_ANCHOR_DIR'] || path.join(config.dataDir, 'anchors')),
    privateKey,
    keyId,
    publicKeys,
    intervalMs: interval,
  };
}
