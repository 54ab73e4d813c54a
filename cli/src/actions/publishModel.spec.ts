import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { JsonRpcProvider } from 'ethers';

import { DevelopmentSetupRefusedError, type CompiledModel, type ModelSetup } from '@verity/circuits';
import type { Deployment } from '@verity/core';
import { L1_CHAIN_ID } from '@verity/rollup';
import type { SequencerApi } from '../sequencerApi';
import { publishModel, type PublishModelParameters } from './publishModel';

const development: ModelSetup = {
  kind: 'development',
  insecure: true,
  ptau: 'none',
  ptauSha256: '',
  contributions: [],
  zkeySha256: '',
  vkeySha256: '',
};

/** A strict stand-in: any use of it fails the test, so a refusal provably happens before any L1 or sequencer call. */
const untouchable = <T>(what: string): T =>
  new Proxy({}, { get: (_, key) => (key === 'then' ? undefined : () => Promise.reject(new Error(`${what} used`))) }) as T;

describe('publishModel refuses an INSECURE development setup', () => {
  let dir: string;
  let parameters: (chainId: number, allow?: boolean) => PublishModelParameters;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verity-publish-'));
    const zkey = join(dir, 'model.zkey');
    writeFileSync(zkey, 'not read: the manifest already says development');
    const model = { manifest: { name: 'tiny', modelId: '1', setup: development }, paths: { zkey } } as unknown as CompiledModel;
    parameters = (chainId, allow) => ({
      model,
      onnxFile: join(dir, 'model.onnx'),
      deployment: {
        l1: { chainId },
        verity: { l1: { ModelRegistry: '0x0000000000000000000000000000000000000001' } },
      } as unknown as Deployment,
      l1: untouchable<JsonRpcProvider>('L1'),
      api: untouchable<SequencerApi>('sequencer API'),
      publisherKey: `0x${'11'.repeat(32)}`,
      allowDevelopmentSetup: allow,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on any chain unless explicitly allowed, the devnet included', async () => {
    await expect(publishModel(parameters(1))).rejects.toThrow(DevelopmentSetupRefusedError);
    await expect(publishModel(parameters(L1_CHAIN_ID))).rejects.toMatchObject({ code: 'SETUP_DEVELOPMENT_REFUSED' });
  });

  it('outside the local devnet even when allowed', async () => {
    await expect(publishModel(parameters(1, true))).rejects.toThrow(/allowed only on a local devnet .* not on chain 1/);
  });

  it('lets it through on the devnet when allowed (it then fails at the stand-in L1, past the check)', async () => {
    await expect(publishModel(parameters(L1_CHAIN_ID, true))).rejects.not.toThrow(DevelopmentSetupRefusedError);
  });
});
