import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { KEY_BYTES } from './envelope.ts';

/**
 * The master key wrapping every record's data key.
 * - `OPENDMP_MASTER_KEY` (config.masterKey): base64 of exactly 32 bytes. Required outside demo mode.
 * - Demo mode without it: the key kept in `DATA_DIR/master.key` (base64, mode 0600), generated on first start.
 *   Losing that file makes every stored document unreadable.
 */
export const MASTER_KEY_FILE = 'master.key';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** Decodes a base64 master key; throws MasterKeyError unless it is exactly 32 bytes. */
export function parseMasterKey(base64: string, origin: string): Buffer {
  const text = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new MasterKeyError(`${origin} is not base64`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new MasterKeyError(`${origin} must be 32 bytes in base64 (got ${key.length} bytes)`);
  }
  return key;
}

function demoKey(dataDir: string): Buffer {
  const file = path.join(dataDir, MASTER_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw e;
    }
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(`${file} must be readable by its owner only (chmod 600)`);
  }
  return parseMasterKey(fs.readFileSync(file, 'utf8'), file);
}

const loaded = new Map<string, Buffer>();

/**
 * The master key of this configuration; call it at start-up so that a missing or bad key stops the start.
 * Cached per configuration source.
 */
export function loadMasterKey(config: Pick<Config, 'masterKey' | 'demo' | 'dataDir'>): Buffer {
  const cacheKey =
    config.masterKey !== undefined ? `env:${config.masterKey}` : `file:${config.dataDir}`;
  const cached = loaded.get(cacheKey);
  if (cached) {
    return cached;
  }
  let key: Buffer;
  if (config.masterKey !== undefined) {
    key = parseMasterKey(config.masterKey, 'OPENDMP_MASTER_KEY');
  } else if (config.demo) {
    key = demoKey(config.dataDir);
  } else {
    throw new MasterKeyError(
      'OPENDMP_MASTER_KEY is required outside demo mode (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)',
    );
  }
  loaded.set(cacheKey, key);
  return key;
}
