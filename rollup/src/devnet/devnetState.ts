import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** What `verity devnet up` leaves on disk for `down` and `status`: who runs it and where. */
export type DevnetState = {
  pid: number;
  startedAt: string;
  l1RpcUrl: string;
  l2RpcUrl: string;
  deploymentFile: string;
};

export function writeDevnetState(file: string, state: DevnetState): void {
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
}

export function readDevnetState(file: string): DevnetState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DevnetState;
  } catch {
    return undefined;
  }
}

export function clearDevnetState(file: string): void {
  rmSync(file, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
