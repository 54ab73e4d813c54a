import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** One artifact of a model, stored under the sequencer's artifacts directory by its content hash. */
export type ModelArtifact = { sha256: string; bytes: number };
export const ARTIFACT_NAMES = ['manifest', 'program', 'zkey', 'vkey', 'onnx'] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];

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
