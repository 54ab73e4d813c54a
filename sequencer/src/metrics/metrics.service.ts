import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';

import { JOB_STATUSES } from '../jobs/job-status';

/** Prometheus metrics (prom-client), in a registry of this app's own so two apps in one process do not collide. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly jobsAccepted = new Counter({
    name: 'verity_jobs_accepted_total',
    help: 'Signed job requests accepted at intake',
    labelNames: ['model'],
    registers: [this.registry],
  });
  readonly requestsRejected = new Counter({
    name: 'verity_requests_rejected_total',
    help: 'API requests refused with a 4xx, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly intakeSeconds = new Histogram({
    name: 'verity_intake_seconds',
    help: 'Time to validate and store one job request',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });
  readonly proofVerifySeconds = new Histogram({
    name: 'verity_proof_verify_seconds',
    help: 'Off-chain verification of a submitted proof and its opening',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly batches = new Counter({
    name: 'verity_batches_total',
    help: 'Batches sent to a chain, by kind and outcome',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'verity_sequencer_leader',
    help: '1 while this process holds the batcher lock',
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'verity_jobs',
      help: 'Jobs by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        if (!dataSource.isInitialized) return;
        const rows = await dataSource.query<{ status: string; n: string }[]>(
          'SELECT status, count(*) AS n FROM jobs GROUP BY status',
        );
        this.reset();
        for (const s of JOB_STATUSES) this.set({ status: s }, Number(rows.find((r) => r.status === s)?.n ?? 0));
      },
    });
  }
}
