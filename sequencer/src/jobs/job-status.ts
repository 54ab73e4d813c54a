/**
 * A job's life (docs/architecture.md): each stage moves it forward, never back, except that a lease that lapses
 * or a result that fails verification returns a proving job to `open`. Terminal: released, rejected, expired,
 * refunded, failed.
 */
export const JOB_STATUSES = [
  'accepted',
  'open',
  'proving',
  'proven',
  'batched',
  'settled',
  'released',
  'rejected',
  'expired',
  'refunded',
  'failed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Every allowed transition; `transitionJob` refuses anything else. */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // The opener decides: opened on L2, skipped by the market (bad signature, balance…), or too late to open.
  accepted: ['open', 'rejected', 'expired'],
  open: ['proving', 'refunded'],
  // A result that verifies, or back to the queue (lease lapsed, returned, or a wrong result).
  proving: ['proven', 'open', 'refunded'],
  // Grouped into a settlement batch; `failed` when L1 refuses its proof (or its model) for good.
  proven: ['batched', 'failed', 'refunded'],
  // The settlement transaction either lands, or the batch is abandoned and its jobs wait for the next one.
  batched: ['settled', 'proven', 'failed'],
  // Released on L2, or refunded there first (the deadline passed before the release arrived).
  settled: ['released', 'refunded', 'failed'],
  released: [],
  rejected: [],
  expired: [],
  refunded: [],
  failed: [],
};

export const isTerminal = (s: JobStatus): boolean => JOB_TRANSITIONS[s].length === 0;
