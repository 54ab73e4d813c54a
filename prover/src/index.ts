/**
 * @verity/prover: the prover daemon. It reaches the sequencer over HTTP only and uses @verity/circuits as a
 * library; this entry exists for the process that boots it and for the CLI.
 */
export { loadProverConfig, type ProverConfig } from './config';
export { ProverModule } from './prover.module';
export { SequencerClient } from './sequencerClient';
