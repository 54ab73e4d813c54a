import { readFileSync } from 'node:fs';

import type { CompiledModel } from '../compileModel';
import { InvalidInputError } from '../errors';
import type { ModelPaths } from '../paths';
import { checkVerificationKey } from '../setup/checkVerificationKey';
import type { ModelManifest } from './manifest';
import { programFromJson } from './serialize';

export type LoadModelFilesParameters = { manifest: string; program: string; zkey: string; vkey: string };

/**
 * A model ready to prove from its artifact files alone (what a prover downloads from a sequencer), without the
 * ONNX source or a compile: manifest, fixed-point program (the witness comes from it), proving key, verification key. The key is
 * checked (a key without a phase-2 contribution is refused), and the program must be the manifest's model.
 */
export function loadModelFiles(files: LoadModelFilesParameters): Pick<CompiledModel, 'manifest' | 'program' | 'paths'> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as ModelManifest;
  } catch (err) {
    throw new InvalidInputError(`cannot read the model manifest ${files.manifest}`, { cause: err });
  }
  checkVerificationKey(JSON.parse(readFileSync(files.vkey, 'utf8')));
  const program = programFromJson(readFileSync(files.program, 'utf8'));
  if (program.inputBits !== manifest.input.bits || program.outputBits !== manifest.output.bits)
    throw new InvalidInputError(`the program does not match the manifest of ${manifest.name}`);
  const paths: ModelPaths = {
    dir: '',
    r1cs: '',
    zkey: files.zkey,
    vkey: files.vkey,
    verifierSol: '',
    manifest: files.manifest,
    program: files.program,
  };
  return { manifest, program, paths };
}
