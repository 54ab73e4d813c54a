import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One artifact of a model, stored under the sequencer's artifacts directory by its content hash. */
export type ModelArtifact = { sha256: string; bytes: number };
export const ARTIFACT_NAMES = ['manifest', 'program', 'zkey', 'vkey', 'onnx'] as const;
/** The parts of a batch circuit of K slots, stored as `batch-<K>-<part>` beside the model's own artifacts. */
export const BATCH_ARTIFACT_PARTS = ['manifest', 'zkey', 'vkey'] as const;
export type BatchArtifactPart = (typeof BATCH_ARTIFACT_PARTS)[number];
/** A model artifact, or a batch artifact `batch-<K>-<part>` (K in 1..64). */
export type ArtifactName = (typeof ARTIFACT_NAMES)[number] | `batch-${number}-${BatchArtifactPart}`;

const BATCH_ARTIFACT = /^batch-([1-9]|[1-5][0-9]|6[0-4])-(manifest|zkey|vkey)$/;

/** The batch size and part of a batch artifact name; undefined for any other name. */
export function parseBatchArtifact(name: string): { size: number; part: BatchArtifactPart } | undefined {
  const match = BATCH_ARTIFACT.exec(name);
  return match ? { size: Number(match[1]), part: match[2] as BatchArtifactPart } : undefined;
}

export const batchArtifactName = (size: number, part: BatchArtifactPart): ArtifactName => `batch-${size}-${part}`;

export function isArtifactName(name: string): name is ArtifactName {
  return (ARTIFACT_NAMES as readonly string[]).includes(name) || parseBatchArtifact(name) !== undefined;
}

export const ARTIFACT_NAMES_HELP = `${ARTIFACT_NAMES.join(', ')} or batch-<K>-{${BATCH_ARTIFACT_PARTS.join(',')}}`;

/** A model registered on L1 and published to this sequencer with its proving artifacts. */
@Entity({ name: 'models' })
export class ModelEntity {
  @PrimaryColumn({ name: 'model_id', type: 'numeric', precision: 78, scale: 0 }) modelId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) publisher!: string;
  /** The compiled model's manifest (identity, shapes, scales, constraints, setup transcript). */
  @Column({ type: 'jsonb' }) manifest!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) artifacts!: Partial<Record<ArtifactName, ModelArtifact>>;
  /** Mirrors ModelRegistry.isActive on L1 (refreshed; L1 decides at settlement). */
  @Column({ type: 'boolean', default: true }) active!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
