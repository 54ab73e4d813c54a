import { Inject, Injectable } from '@nestjs/common';

import { PROVER_CONFIG, type ProverConfig } from './config';

export type SequencerHealth = { reachable: boolean; status?: string };

/** The prover reaches the sequencer only over HTTP (STYLE.md); this is that one client. */
@Injectable()
export class SequencerClient {
  constructor(@Inject(PROVER_CONFIG) private readonly config: ProverConfig) {}

  async health(): Promise<SequencerHealth> {
    try {
      const res = await fetch(`${this.config.sequencerUrl}/health`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { status?: string };
      return { reachable: true, status: body.status };
    } catch {
      return { reachable: false };
    }
  }
}
