import type { ModelInterface } from '../quantize/types';
import type { ModelManifest } from './manifest';

/** A model's interface from its manifest: what a sequencer or a requester needs to commit inputs and check outputs. */
export function modelInterfaceOf(manifest: Pick<ModelManifest, 'input' | 'output'>): ModelInterface {
  return {
    inputShape: manifest.input.shape,
    inputScale: manifest.input.scale,
    inputBits: manifest.input.bits,
    inputMaxAbs: manifest.input.maxAbs,
    outputShape: manifest.output.shape,
    outputScale: manifest.output.scale,
    outputBits: manifest.output.bits,
  };
}
