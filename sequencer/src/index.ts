/**
 * @verity/sequencer: the NestJS job API and batchers. Other parts reach it over HTTP only; this entry is for the
 * process that boots it (`npm run start:sequencer`, the CLI's `start`) and for end-to-end tests.
 */
export { AppModule, configureApp } from './app.module';
export { loadSequencerConfig, type SequencerConfig } from './config/config';
export { artifactMessage } from './models/models.service';
export { registrationMessage } from './auth/prover-sessions.service';
export { OpenBatcher } from './batches/open-batcher';
export { SettleBatcher } from './batches/settle-batcher';
export { ReleaseBatcher } from './batches/release-batcher';
export { RefundBatcher } from './batches/refund-batcher';
export { ProvenSettler } from './batch-proofs/proven-settler';
export { WorkersService, type WorkersHealth } from './batches/workers.service';
export { JOB_STATUSES, type JobStatus } from './jobs/job-status';
