import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The service's entry point in its sources, started as a child process by tests (no build needed). */
export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/**
 * The entry point `npm start` and `npm run demo` run: the service built to JavaScript (ADR 0042), built here first
 * when missing or older than the sources (scripts/ensure-built.ts, under its lock: parallel test files wait for one
 * build).
 */
export function builtMain(): string {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../../scripts/ensure-built.ts', import.meta.url))],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return fileURLToPath(new URL('../../dist/main.js', import.meta.url));
}

/** A TCP port free on the loopback address at the time of the call. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls `check` until it holds, or throws naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 20,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) {
      return;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface ChildService {
  readonly child: ChildProcess;
  readonly port: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the process printed its start banner; rejects if it exits first or after `timeoutMs`. */
  started(timeoutMs?: number): Promise<void>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The node flags and variables an npm script of apps/server/package.json (`start`, `demo`) runs the service with
 * (heap limits, MALLOC_ARENA_MAX; the command after the build's `&&`): a test of memory bounds runs the service
 * exactly as users do, with {@link builtMain}.
 */
export function scriptFlags(script: 'start' | 'demo'): {
  readonly env: Record<string, string>;
  readonly args: readonly string[];
} {
  const pkg = JSON.parse(
    fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    scripts: Record<string, string>;
  };
  const env: Record<string, string> = {};
  const args: string[] = [];
  for (const word of (pkg.scripts[script] ?? '').split('&&').at(-1)?.split(/\s+/) ?? []) {
    const variable = /^([A-Z_]+)=(.*)$/.exec(word);
    if (variable) {
      env[variable[1] as string] = variable[2] as string;
    } else if (word.startsWith('--')) {
      args.push(word);
    }
  }
  return { env, args };
}

/**
 * Starts the service (`main`: src/main.ts unless {@link builtMain} is given) with the test's environment plus `env`
 * (INIT_CWD removed so DATA_DIR is taken as given), and `nodeArgs` before the script (e.g. scriptFlags('demo').args).
 * PORT is chosen free unless `env` names one.
 */
export async function startService(
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
  main: string = MAIN,
): Promise<ChildService> {
  const port = env['PORT'] ? Number(env['PORT']) : await freePort();
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base['INIT_CWD'];
  delete base['HOST'];
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: { ...base, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
      : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    port,
    output: () => out,
    exited,
    async started(timeoutMs = 90_000) {
      await until(
        'the service to start',
        () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the service exited before starting:\n${out}`);
          }
          return out.includes('opendmp is running');
        },
        timeoutMs,
        50,
      );
    },
  };
}

/** Waits until the service answers /ready with 200; throws with its output if it exits first. */
export async function ready(service: ChildService, timeoutMs = 90_000): Promise<void> {
  await until(
    'the service to be ready',
    async () => {
      if (service.child.exitCode !== null || service.child.signalCode !== null) {
        throw new Error(`the service exited before being ready:\n${service.output()}`);
      }
      try {
        return (await fetch(`http://127.0.0.1:${String(service.port)}/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    timeoutMs,
    100,
  );
}
