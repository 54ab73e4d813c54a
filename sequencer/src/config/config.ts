import { z } from 'zod';

import { parseEnv } from '@verity/core';

/** The sequencer's typed config: the one place it reads process.env. Parsed once, frozen, every problem listed. */
const int = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key');

const envSchema = z.object({
  SEQUENCER_PORT: int(0, 3000).pipe(z.number().max(65535)),
  SEQUENCER_HOST: z.string().min(1).default('127.0.0.1'),
  SEQUENCER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default('postgres://postgres@127.0.0.1:5432/verity'),
  /** 1 for the embedded PGlite (one shared session); more for a real PostgreSQL. */
  SEQUENCER_DATABASE_POOL_SIZE: int(1, 20),
  SEQUENCER_DEPLOYMENT_FILE: z.string().min(1).default('.devnet/addresses.json'),
  /** The operator key that opens jobs on L2, settles on L1 and releases on L2 (secret: no default). */
  SEQUENCER_PRIVATE_KEY: privateKey.optional(),
  SEQUENCER_ARTIFACTS_DIR: z.string().min(1).default('.verity/artifacts'),
  /** Run the batchers (open, settle, release, expire) in this process, under the leader lock. */
  SEQUENCER_WORKERS: z.enum(['on', 'off']).default('on'),
  /**
   * Elect one batching leader through a PostgreSQL advisory lock (replicas sharing a database). Off: this process
   * always leads; only for a single sequencer, e.g. on the embedded PGlite, whose one session cannot hold a lock apart.
   */
  SEQUENCER_LEADER_ELECTION: z.enum(['on', 'off']).default('on'),
  SEQUENCER_OPEN_BATCH_SIZE: int(1, 64),
  SEQUENCER_OPEN_BATCH_AGE_MS: int(0, 250),
  SEQUENCER_SETTLE_BATCH_SIZE: int(1, 32),
  SEQUENCER_SETTLE_BATCH_AGE_MS: int(0, 5_000),
  /** Calldata bytes one settleBatch may carry (a node refuses an oversized transaction; 416 bytes per job). */
  SEQUENCER_SETTLE_BATCH_MAX_BYTES: int(1_024, 120_000),
  SEQUENCER_LEASE_TIMEOUT_MS: int(1_000, 120_000),
  SEQUENCER_POLL_INTERVAL_MS: int(20, 200),
  SEQUENCER_L1_CONFIRMATIONS: int(0, 1),
  SEQUENCER_L2_CONFIRMATIONS: int(0, 1),
  SEQUENCER_MAX_BODY_BYTES: int(1_024, 1_048_576),
  /** Worker threads for intake's input commitment and signer recovery (0: on the API's event loop). */
  SEQUENCER_INTAKE_THREADS: z.coerce.number().int().min(0).max(1).default(1),
  /** A request must leave provers at least this long before its deadline. */
  SEQUENCER_MIN_DEADLINE_SECONDS: int(0, 60),
  /** A request's deadline may lie at most this far ahead (default 30 days): escrow is not locked up indefinitely. */
  SEQUENCER_MAX_DEADLINE_SECONDS: int(1, 30 * 24 * 3600),
  /** Job event streams (SSE) open at once, in all and from one client address. */
  SEQUENCER_SSE_MAX_STREAMS: int(1, 1_000),
  SEQUENCER_SSE_MAX_STREAMS_PER_IP: int(1, 16),
  SEQUENCER_PROVER_SESSION_TTL_SECONDS: int(60, 3_600),
  /** A prover that has not sent a heartbeat for this long gets no new leases. */
  SEQUENCER_PROVER_HEARTBEAT_TIMEOUT_SECONDS: int(5, 60),
  /** Jobs one prover may hold leased at once (one staked key cannot take the whole queue). */
  SEQUENCER_PROVER_MAX_LEASES: int(1, 4),
  /** How long ProverRegistry.isActive (L2) is trusted at lease time before it is read again. */
  SEQUENCER_PROVER_STAKE_CACHE_MS: int(0, 10_000),
  /** Largest model artifact (zkey, program, …) a publisher may upload. */
  SEQUENCER_MAX_ARTIFACT_BYTES: int(1, 256 * 1024 * 1024),
  /**
   * Accept models whose proving key came from an INSECURE development setup (`verity model setup
   * --insecure-dev-setup`): only ever on the local devnet's L1 chain, whatever this says. Off by default.
   */
  SEQUENCER_ALLOW_DEVELOPMENT_SETUP: z.enum(['on', 'off']).default('off'),
  /** Artifact uploads streamed at once (each holds a temp file and a socket). */
  SEQUENCER_MAX_CONCURRENT_UPLOADS: int(1, 2),
  /** How long a model's L1 status (ModelRegistry: active, scheduled deactivation) is trusted before a new read. */
  SEQUENCER_MODEL_STATUS_TTL_MS: int(0, 15_000),
  /**
   * A model whose scheduled deactivation takes effect within a lease plus this margin gets no new leases: what is
   * proven must still settle on L1 before the model stops accepting settlement.
   */
  SEQUENCER_DEACTIVATION_MARGIN_SECONDS: int(0, 3_600),
  /**
   * Ask provers for batch proofs (one Groth16 proof for up to K of their jobs of one model) wherever a model has a
   * batch key active on L1 and its batch artifacts published here. Off: every job settles singly (RLC batches).
   */
  SEQUENCER_BATCH_PROOFS: z.enum(['on', 'off']).default('on'),
  /** A prover's proven jobs of one model wait at most this long for K of them before a smaller batch is asked for. */
  SEQUENCER_BATCH_PROOF_AGE_MS: int(0, 60_000),
  /** Fewer jobs than this after the age trigger settle singly (a batch proof costs ~680k L1 gas whatever its count). */
  SEQUENCER_BATCH_PROOF_MIN_JOBS: int(1, 8),
  /**
   * A batch proof request not leased this soon (a prover that does not serve batch proofs, or stopped) is given up;
   * once leased, its prover has SEQUENCER_BATCH_PROOF_TIMEOUT_MS to deliver. Either way its jobs then settle singly.
   */
  SEQUENCER_BATCH_PROOF_LEASE_WINDOW_MS: int(1_000, 30_000),
  SEQUENCER_BATCH_PROOF_TIMEOUT_MS: int(1_000, 600_000),
  /** A job is batched only if its deadline leaves the age, the timeout and this margin (settle, relay, release). */
  SEQUENCER_BATCH_PROOF_DEADLINE_MARGIN_SECONDS: int(0, 900),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type SequencerConfig = Readonly<{
  http: Readonly<{ host: string; port: number; maxBodyBytes: number }>;
  database: Readonly<{ url: string; poolSize: number }>;
  deploymentFile: string;
  /** Absent: read-only mode (the API accepts jobs; nothing is sent to a chain). */
  privateKey?: string;
  artifactsDir: string;
  workers: Readonly<{
    enabled: boolean;
    leaderElection: boolean;
    openBatchSize: number;
    openBatchAgeMs: number;
    settleBatchSize: number;
    settleBatchAgeMs: number;
    settleBatchMaxBytes: number;
    pollIntervalMs: number;
    l1Confirmations: number;
    l2Confirmations: number;
  }>;
  jobs: Readonly<{
    leaseTimeoutMs: number;
    minDeadlineSeconds: number;
    maxDeadlineSeconds: number;
    maxStreams: number;
    maxStreamsPerIp: number;
    intakeThreads: number;
  }>;
  provers: Readonly<{ sessionTtlSeconds: number; heartbeatTimeoutSeconds: number; maxLeases: number; stakeCacheMs: number }>;
  models: Readonly<{
    maxArtifactBytes: number;
    maxConcurrentUploads: number;
    statusTtlMs: number;
    deactivationMarginSeconds: number;
    allowDevelopmentSetup: boolean;
  }>;
  batchProofs: Readonly<{
    enabled: boolean;
    ageMs: number;
    minJobs: number;
    leaseWindowMs: number;
    timeoutMs: number;
    deadlineMarginSeconds: number;
  }>;
  log: Readonly<{ level: string; format: 'json' | 'pretty' }>;
}>;

export const SEQUENCER_CONFIG = Symbol('SEQUENCER_CONFIG');

/** Rules that span fields. */
function check(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  if (e.SEQUENCER_WORKERS === 'on' && !e.SEQUENCER_PRIVATE_KEY)
    problems.push('SEQUENCER_PRIVATE_KEY: required while SEQUENCER_WORKERS=on (the batchers send transactions)');
  if (e.SEQUENCER_MAX_DEADLINE_SECONDS <= e.SEQUENCER_MIN_DEADLINE_SECONDS)
    problems.push('SEQUENCER_MAX_DEADLINE_SECONDS: must be greater than SEQUENCER_MIN_DEADLINE_SECONDS');
  if (e.SEQUENCER_SSE_MAX_STREAMS_PER_IP > e.SEQUENCER_SSE_MAX_STREAMS)
    problems.push('SEQUENCER_SSE_MAX_STREAMS_PER_IP: must not exceed SEQUENCER_SSE_MAX_STREAMS');
  return problems;
}

export function loadSequencerConfig(env: NodeJS.ProcessEnv = process.env): SequencerConfig {
  const e = parseEnv(envSchema, env, check);
  return Object.freeze({
    http: Object.freeze({ host: e.SEQUENCER_HOST, port: e.SEQUENCER_PORT, maxBodyBytes: e.SEQUENCER_MAX_BODY_BYTES }),
    database: Object.freeze({ url: e.SEQUENCER_DATABASE_URL, poolSize: e.SEQUENCER_DATABASE_POOL_SIZE }),
    deploymentFile: e.SEQUENCER_DEPLOYMENT_FILE,
    privateKey: e.SEQUENCER_PRIVATE_KEY,
    artifactsDir: e.SEQUENCER_ARTIFACTS_DIR,
    workers: Object.freeze({
      enabled: e.SEQUENCER_WORKERS === 'on',
      leaderElection: e.SEQUENCER_LEADER_ELECTION === 'on',
      openBatchSize: e.SEQUENCER_OPEN_BATCH_SIZE,
      openBatchAgeMs: e.SEQUENCER_OPEN_BATCH_AGE_MS,
      settleBatchSize: e.SEQUENCER_SETTLE_BATCH_SIZE,
      settleBatchAgeMs: e.SEQUENCER_SETTLE_BATCH_AGE_MS,
      settleBatchMaxBytes: e.SEQUENCER_SETTLE_BATCH_MAX_BYTES,
      pollIntervalMs: e.SEQUENCER_POLL_INTERVAL_MS,
      l1Confirmations: e.SEQUENCER_L1_CONFIRMATIONS,
      l2Confirmations: e.SEQUENCER_L2_CONFIRMATIONS,
    }),
    jobs: Object.freeze({
      leaseTimeoutMs: e.SEQUENCER_LEASE_TIMEOUT_MS,
      minDeadlineSeconds: e.SEQUENCER_MIN_DEADLINE_SECONDS,
      maxDeadlineSeconds: e.SEQUENCER_MAX_DEADLINE_SECONDS,
      maxStreams: e.SEQUENCER_SSE_MAX_STREAMS,
      maxStreamsPerIp: e.SEQUENCER_SSE_MAX_STREAMS_PER_IP,
      intakeThreads: e.SEQUENCER_INTAKE_THREADS,
    }),
    provers: Object.freeze({
      sessionTtlSeconds: e.SEQUENCER_PROVER_SESSION_TTL_SECONDS,
      heartbeatTimeoutSeconds: e.SEQUENCER_PROVER_HEARTBEAT_TIMEOUT_SECONDS,
      maxLeases: e.SEQUENCER_PROVER_MAX_LEASES,
      stakeCacheMs: e.SEQUENCER_PROVER_STAKE_CACHE_MS,
    }),
    models: Object.freeze({
      maxArtifactBytes: e.SEQUENCER_MAX_ARTIFACT_BYTES,
      maxConcurrentUploads: e.SEQUENCER_MAX_CONCURRENT_UPLOADS,
      statusTtlMs: e.SEQUENCER_MODEL_STATUS_TTL_MS,
      deactivationMarginSeconds: e.SEQUENCER_DEACTIVATION_MARGIN_SECONDS,
      allowDevelopmentSetup: e.SEQUENCER_ALLOW_DEVELOPMENT_SETUP === 'on',
    }),
    batchProofs: Object.freeze({
      enabled: e.SEQUENCER_BATCH_PROOFS === 'on',
      ageMs: e.SEQUENCER_BATCH_PROOF_AGE_MS,
      minJobs: e.SEQUENCER_BATCH_PROOF_MIN_JOBS,
      leaseWindowMs: e.SEQUENCER_BATCH_PROOF_LEASE_WINDOW_MS,
      timeoutMs: e.SEQUENCER_BATCH_PROOF_TIMEOUT_MS,
      deadlineMarginSeconds: e.SEQUENCER_BATCH_PROOF_DEADLINE_MARGIN_SECONDS,
    }),
    log: Object.freeze({ level: e.LOG_LEVEL, format: e.LOG_FORMAT }),
  });
}
