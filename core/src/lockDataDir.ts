import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { EmbeddedDatabaseLockedError } from './errors/embeddedDatabase';

/** The lock file's name inside the data directory (PostgreSQL ignores files it does not know in PGDATA). */
export const DATA_DIR_LOCK_FILE = 'verity-embedded.lock';

export type LockDataDirParameters = {
  /** An existing directory. */
  dataDir: string;
};

export type LockDataDirReturnType = {
  lockFile: string;
  /** The pid named by a stale lock (its process is gone) that was taken over, if there was one. */
  tookOverPid?: number;
  /** Deletes the lock file if it is still this one. Idempotent. */
  release: () => void;
};

export type LockDataDirErrorType = EmbeddedDatabaseLockedError;

/** A lock file's whole text (pid line, then a random token that makes every lock's text unique) and its pid. */
type LockContent = { text: string; pid: number | undefined };

/**
 * The texts of the lock files this process holds. A lock that names this process's own pid but is not listed here
 * was left by an earlier process that had the same pid: containers hand out the same low pids on every run, so "the
 * pid is alive" alone would keep such a directory locked forever. Texts, not inode numbers, tell locks apart: a
 * file system reuses the inode of a deleted lock for the next one at once.
 */
const heldHere = new Set<string>();

/**
 * Takes the exclusive lock on an embedded database's data directory: a file holding this process's pid. Nothing else
 * stops two PGlite instances (in one process or in two) from opening the same directory and corrupting it.
 *
 * A lock whose process is gone is stale and taken over. Liveness is checked with signal 0, so a lock written on
 * another machine sharing the directory cannot be told apart from a local one (don't share data directories).
 * Synchronous on purpose: within one process no other caller can interleave between the checks and the writes.
 *
 * @example
 * const lock = lockDataDir({ dataDir: '/var/lib/verity/db' }); // throws EmbeddedDatabaseLockedError when held
 * try { … } finally { lock.release(); }
 */
export function lockDataDir({ dataDir }: LockDataDirParameters): LockDataDirReturnType {
  // The real path, so that a symlinked spelling of the same directory meets the same lock file.
  const lockFile = join(realpathSync(dataDir), DATA_DIR_LOCK_FILE);
  let tookOverPid: number | undefined;
  // Each round either takes the lock, fails, or removes one stale lock; racing takers settle within a few rounds.
  for (let round = 0; round < 5; round++) {
    const text = createExclusive(lockFile);
    if (text) {
      heldHere.add(text);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        heldHere.delete(text);
        unlinkIfSame(lockFile, text);
      };
      return { lockFile, tookOverPid, release };
    }
    const holder = readLock(lockFile);
    if (!holder) continue; // released between our attempt and our read
    if (isHeld(holder)) throw new EmbeddedDatabaseLockedError({ dataDir, lockFile, pid: holder.pid });
    if (removeStale(dataDir, lockFile, holder)) tookOverPid = holder.pid;
  }
  throw new EmbeddedDatabaseLockedError({ dataDir, lockFile, pid: readLock(lockFile)?.pid });
}

/**
 * Creates `path` holding this pid and returns its text, or returns undefined when it exists. The text is written to
 * a temporary file and hard-linked into place: link() fails when the target exists, and the lock appears with its
 * pid already in it, so a reader never meets an empty lock it could mistake for a stale one.
 */
function createExclusive(path: string): string | undefined {
  const token = randomBytes(8).toString('hex');
  const text = `${process.pid}\n${token}\n`;
  const temp = `${path}.${token}.tmp`;
  writeFileSync(temp, text, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(temp, path);
    return text;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return undefined;
    throw err;
  } finally {
    unlinkSync(temp);
  }
}

/** Reads a lock file; undefined when it does not exist. A first line that is not a pid reads as pid undefined. */
function readLock(path: string): LockContent | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  const match = /^\s*(\d+)\s*$/.exec(text.split('\n', 1)[0] ?? '');
  const pid = match ? Number(match[1]) : NaN;
  return { text, pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined };
}

function isHeld({ text, pid }: LockContent): boolean {
  // Every lock this code writes names a pid: one that names none was not written by a live holder.
  if (pid === undefined) return false;
  if (pid === process.pid) return heldHere.has(text);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user; anything else but "no such process" counts as alive.
    return errorCode(err) !== 'ESRCH';
  }
}

/**
 * Deletes the stale lock `seen`, unless it was replaced since it was read; returns whether it deleted it. A second
 * lock file (the guard) makes the check and the delete one step against other processes doing the same: without it,
 * one taker could delete the fresh lock another taker had just created after removing the same stale one.
 */
function removeStale(dataDir: string, lockFile: string, seen: LockContent): boolean {
  const guardFile = `${lockFile}.takeover`;
  const guard = createExclusive(guardFile);
  if (!guard) {
    const other = readLock(guardFile);
    // Another process is taking the directory over right now: it is about to hold the lock.
    if (other && isHeld(other)) throw new EmbeddedDatabaseLockedError({ dataDir, lockFile, pid: other.pid });
    // Left behind by a process that died in the middle of a takeover (a window of microseconds).
    if (other) unlinkIfSame(guardFile, other.text);
    return false;
  }
  try {
    const current = readLock(lockFile);
    if (current?.text !== seen.text) return false;
    unlinkSync(lockFile);
    return true;
  } finally {
    unlinkIfSame(guardFile, guard);
  }
}

function unlinkIfSame(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) unlinkSync(path);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
