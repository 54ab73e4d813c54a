import { isTerminal, JOB_STATUSES, JOB_TRANSITIONS } from './job-status';

describe('job statuses', () => {
  it('lets a failed job whose escrow is still open be refunded, and nothing else', () => {
    expect(JOB_TRANSITIONS.failed).toEqual(['refunded']);
  });

  it('lets the refund batcher record a release made outside the sequencer', () => {
    for (const from of ['open', 'proving', 'proven'] as const) expect(JOB_TRANSITIONS[from]).toContain('failed');
    expect(JOB_TRANSITIONS.proven).toContain('released');
  });

  it('counts failed as final for the job (streams end there), with the other end states', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['released', 'rejected', 'expired', 'refunded', 'failed']);
  });

  it('never leaves released, rejected, expired or refunded', () => {
    for (const s of ['released', 'rejected', 'expired', 'refunded'] as const) expect(JOB_TRANSITIONS[s]).toHaveLength(0);
  });
});
