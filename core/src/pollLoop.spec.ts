import { Writable } from 'node:stream';

import pino from 'pino';

import { backoffDelay } from './backoffDelay';
import { BaseError, ServiceHaltedError } from './errors/base';
import { PollLoop, type PollLoopHealth } from './pollLoop';

/** A real pino logger whose lines the test can read. */
function capturingLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug', base: undefined }, sink), lines };
}

/** A promise the step resolves to say how far it got: the test waits on events, never on the clock. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PollLoop', () => {
  it('retries a failing step with capped exponential back-off, reports it unhealthy, and recovers', async () => {
    const { log, lines } = capturingLogger();
    const failures = 5;
    const seen: PollLoopHealth[] = [];
    const done = deferred<void>();
    let calls = 0;
    const loop: PollLoop = new PollLoop({
      name: 'test',
      log,
      intervalMs: 1,
      backoffMs: 1,
      maxBackoffMs: 4,
      step: async () => {
        // Health as the previous step left it.
        seen.push(loop.health());
        calls++;
        // A generic error: the old loop classified it critical and stopped for good.
        if (calls <= failures) throw new Error(`node answered garbage (${calls})`);
        if (calls === failures + 2) done.resolve();
      },
    });
    loop.start();
    await done.promise;
    await loop.stop();

    expect(seen[0]).toEqual({ healthy: true, halted: false, consecutiveFailures: 0 });
    for (let n = 1; n <= failures; n++) {
      expect(seen[n]).toMatchObject({ healthy: false, halted: false, consecutiveFailures: n });
      expect(seen[n]!.lastError).toMatchObject({ code: 'INTERNAL', message: 'unexpected error' });
      expect(seen[n]!.reason).toMatch(new RegExp(`^${n} failed step`));
    }
    // After one good step: healthy again, the last error kept for the operator.
    expect(seen[failures + 1]).toMatchObject({ healthy: true, halted: false, consecutiveFailures: 0 });
    expect(loop.health().lastError?.code).toBe('INTERNAL');

    const retries = lines.filter((l) => l.msg === 'step failed, retrying');
    expect(retries).toHaveLength(failures);
    // Every failure is logged; an error nobody recognises is logged at error level (a human should look).
    expect(retries.every((l) => l.level === 50 && l.code === 'INTERNAL')).toBe(true);
    expect(retries.map((l) => l.retryInMs)).toEqual([1, 2, 4, 4, 4]);
    expect(retries.map((l) => l.consecutiveFailures)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.filter((l) => l.msg === 'step succeeded again, loop healthy')).toHaveLength(1);
  });

  it('logs a failure its classifier calls transient as a warning and keeps going', async () => {
    const { log, lines } = capturingLogger();
    const done = deferred<void>();
    let calls = 0;
    const loop = new PollLoop({
      name: 'test',
      log,
      intervalMs: 1,
      // What the chain loops pass (toChainError's reading), reduced to the one case this test needs.
      classify: (err) => ({
        error: new BaseError('CHAIN_UNAVAILABLE', 'chain RPC is unreachable', { cause: err }),
        severity: /ECONNREFUSED/.test(String(err)) ? 'temporary' : 'critical',
      }),
      step: async () => {
        calls++;
        if (calls === 1) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
        done.resolve();
      },
    });
    loop.start();
    await done.promise;
    await loop.stop();
    expect(lines.find((l) => l.msg === 'step failed, retrying')).toMatchObject({ level: 40, code: 'CHAIN_UNAVAILABLE' });
    expect(loop.health().healthy).toBe(true);
  });

  it('stops only on a deliberate halt, reports it, and tells the owner once', async () => {
    const { log, lines } = capturingLogger();
    const halted = deferred<unknown>();
    let calls = 0;
    const loop = new PollLoop({
      name: 'test',
      log,
      intervalMs: 1,
      step: async () => {
        calls++;
        if (calls === 1) throw new Error('something odd');
        throw new ServiceHaltedError('RELAYER_HALTED', 'halted', { details: 'deposit 0xabc was minted from a reorged block' });
      },
      onHalt: (err) => halted.resolve(err),
    });
    loop.start();
    expect(await halted.promise).toBeInstanceOf(ServiceHaltedError);
    await loop.stop();
    expect(calls).toBe(2);
    expect(loop.isStopped).toBe(true);
    expect(loop.health()).toMatchObject({
      healthy: false,
      halted: true,
      reason: 'halted: deposit 0xabc was minted from a reorged block',
      lastError: { code: 'RELAYER_HALTED' },
    });
    expect(lines.find((l) => l.msg === 'loop halted until an operator acts')).toMatchObject({
      level: 50,
      code: 'RELAYER_HALTED',
    });
  });

  it('stop() ends a loop that is waiting out a back-off', async () => {
    const { log } = capturingLogger();
    const failed = deferred<void>();
    const loop = new PollLoop({
      name: 'test',
      log,
      intervalMs: 1,
      backoffMs: 60_000,
      step: async () => {
        failed.resolve();
        throw new Error('down');
      },
    });
    loop.start();
    await failed.promise;
    // The 60 s retry timer is cleared: nothing of the loop outlives the test.
    await loop.stop();
    expect(loop.health()).toMatchObject({ healthy: false, consecutiveFailures: 1 });
  });
});

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap, even after a very long outage', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay({ consecutiveFailures: n, baseMs: 500, maxMs: 30_000 }));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000]);
    expect(backoffDelay({ consecutiveFailures: 10_000, baseMs: 500, maxMs: 30_000 })).toBe(30_000);
  });
});
