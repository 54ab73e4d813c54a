/**
 * A job's life (docs/architecture.md): each stage moves it forward, never back, except that a lease that lapses
 * or a result that fails verification returns a proving job to `open`. Final: released, rejected, expired,
 * refunded, failed. A failed job's escrow may still be open on L2: it is then refunded to the requester once the
 * market allows it (failed → refunded), which only records what happened to the money.
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
  // Refunded after its deadline; `failed` when the market released its escrow outside this sequencer.
  open: ['proving', 'refunded', 'failed'],
  // A result that verifies, or back to the queue (lease lapsed, returned, or a wrong result).
  proving: ['proven', 'open', 'refunded', 'failed'],
  // Grouped into a settlement batch; `failed` when L1 refuses its proof (or its model) for good, or its calldata
  // cannot be encoded; `released` when its prover settled and released it on its own, with this very output.
  proven: ['batched', 'failed', 'refunded', 'released'],
  // The settlement transaction either lands, or the batch is abandoned and its jobs wait for the next one.
  batched: ['settled', 'proven', 'failed'],
  // Released on L2, or refunded there first (the deadline passed before the release arrived).
  settled: ['released', 'refunded', 'failed'],
  released: [],
  rejected: [],
  expired: [],
  refunded: [],
  // The work failed; the escrow it left open on L2 goes back to the requester after the deadline.
  failed: ['refunded'],
};

const FINAL: ReadonlySet<JobStatus> = new Set(['released', 'rejected', 'expired', 'refunded', 'failed']);

/** Whether nothing more happens to the job's work (a failed job may still see its escrow refunded). */
export const isTerminal = (s: JobStatus): boolean => FINAL.has(s);
