import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EmbeddedDatabaseLockedError } from './errors/embeddedDatabase';
import { DATA_DIR_LOCK_FILE, lockDataDir } from './lockDataDir';

describe('lockDataDir', () => {
  let dataDir: string;
  let lockFile: string;
  const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid as number;
  const firstLine = (path: string) => readFileSync(path, 'utf8').split('\n')[0];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'verity-lock-'));
    lockFile = join(dataDir, DATA_DIR_LOCK_FILE);
  });

  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes this pid, refuses a second taker, and releases once', () => {
    const lock = lockDataDir({ dataDir });
    expect(firstLine(lockFile)).toBe(String(process.pid));
    expect(lock.tookOverPid).toBeUndefined();
    expect(() => lockDataDir({ dataDir })).toThrow(EmbeddedDatabaseLockedError);

    lock.release();
    lock.release();
    expect(readdirSync(dataDir)).toEqual([]); // no temp or guard file left behind
    lockDataDir({ dataDir }).release();
  });

  it('meets the same lock through a symlinked spelling of the directory', () => {
    const link = `${dataDir}-link`;
    symlinkSync(dataDir, link);
    const lock = lockDataDir({ dataDir });
    try {
      expect(() => lockDataDir({ dataDir: link })).toThrow(EmbeddedDatabaseLockedError);
    } finally {
      lock.release();
      unlinkSync(link);
    }
  });

  it('takes over a lock whose process is gone', () => {
    const pid = deadPid();
    writeFileSync(lockFile, `${pid}\n`);
    const lock = lockDataDir({ dataDir });
    expect(lock.tookOverPid).toBe(pid);
    expect(firstLine(lockFile)).toBe(String(process.pid));
    lock.release();
  });

  it('takes over a lock naming this pid that this process does not hold (an earlier process had the same pid)', () => {
    writeFileSync(lockFile, `${process.pid}\n`);
    const lock = lockDataDir({ dataDir });
    expect(lock.tookOverPid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock without a pid, and ignores a takeover guard left by a dead process', () => {
    writeFileSync(lockFile, 'garbage');
    writeFileSync(`${lockFile}.takeover`, `${deadPid()}\n`);
    const lock = lockDataDir({ dataDir });
    expect(firstLine(lockFile)).toBe(String(process.pid));
    expect(existsSync(`${lockFile}.takeover`)).toBe(false);
    lock.release();
  });

  it('never deletes a lock that is no longer its own', () => {
    const lock = lockDataDir({ dataDir });
    unlinkSync(lockFile);
    writeFileSync(lockFile, '1\n'); // someone else's now
    lock.release();
    expect(readFileSync(lockFile, 'utf8')).toBe('1\n');
  });
});
