import { loadRollupConfig } from './config';

describe('loadRollupConfig', () => {
  it('has working defaults for every variable', () => {
    const config = loadRollupConfig({}, false);
    expect(config.devnet).toMatchObject({ l1Port: 8545, l2Port: 9545, finalizationPeriodSeconds: 12, dir: '.devnet' });
    expect(config.bridge.deploymentFile).toBe('.devnet/addresses.json');
    expect(config.bridge.privateKey).toBeUndefined();
    expect(config.log.format).toBe('json');
    expect(Object.isFrozen(config) && Object.isFrozen(config.devnet)).toBe(true);
  });

  it('lists every bad variable at once', () => {
    const attempt = () => loadRollupConfig({ DEVNET_L1_PORT: '70000', RELAYER_CONFIRMATIONS: '-1', BRIDGE_PRIVATE_KEY: '0x12' });
    expect(attempt).toThrow(/^invalid configuration: /);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const name of ['DEVNET_L1_PORT', 'RELAYER_CONFIRMATIONS', 'BRIDGE_PRIVATE_KEY']) expect(message).toContain(name);
  });

  it("relays at a block depth or at L1's finalized block", () => {
    expect(loadRollupConfig({}, false).relayer.confirmations).toBe(1);
    expect(loadRollupConfig({ RELAYER_CONFIRMATIONS: '12' }, false).relayer.confirmations).toBe(12);
    expect(loadRollupConfig({ RELAYER_CONFIRMATIONS: 'finalized' }, false).relayer.confirmations).toBe('finalized');
    expect(() => loadRollupConfig({ RELAYER_CONFIRMATIONS: 'many' }, false)).toThrow(/RELAYER_CONFIRMATIONS/);
  });

  it('checks rules that span fields', () => {
    expect(() => loadRollupConfig({ DEVNET_L1_PORT: '9000', DEVNET_L2_PORT: '9000' })).toThrow(/must differ/);
  });
});
