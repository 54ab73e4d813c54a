import { ApiProperty } from '@nestjs/swagger';

import type { ModelEntity } from './model.entity';
import type { ModelChainStatus } from './models.service';

export class ModelViewDto {
  @ApiProperty() modelId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() publisher!: string;
  @ApiProperty({ description: 'ModelRegistry.isActive on L1: settlement accepts its proofs' }) active!: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'when a deactivation scheduled on L1 takes effect (ISO time); while set, the model takes no new jobs',
  })
  deactivatesAt!: string | null;
  @ApiProperty({ type: Object, description: 'input: shape, scale (fractional bits), bits, maxAbs' }) input!: unknown;
  @ApiProperty({ type: Object, description: 'output: shape, scale, bits, head' }) output!: unknown;
  @ApiProperty() constraints!: number;
  @ApiProperty({ type: Object, description: 'artifact name → sha256 and size; fetch GET /v1/models/:id/artifacts/:name' })
  artifacts!: Record<string, { sha256: string; bytes: number }>;
  @ApiProperty({ type: Object, description: 'the whole manifest (hashes, layers, setup transcript)' }) manifest!: unknown;
}

export function mapModel(m: ModelEntity, status?: ModelChainStatus): ModelViewDto {
  const manifest = m.manifest as { input?: unknown; output?: unknown; constraints?: number };
  return {
    modelId: m.modelId,
    name: m.name,
    publisher: m.publisher,
    active: status?.active ?? m.active,
    deactivatesAt: status?.deactivatesAt?.toISOString() ?? null,
    input: manifest.input,
    output: manifest.output,
    constraints: manifest.constraints ?? 0,
    artifacts: m.artifacts as Record<string, { sha256: string; bytes: number }>,
    manifest: m.manifest,
  };
}
