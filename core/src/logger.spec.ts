import { configureLogger, createLogger } from './logger';

describe('logger', () => {
  it('lets the process configure logging after a module made a logger at import (the silent fallback is replaced)', () => {
    const early = createLogger('early');
    expect(early.level).toBe('silent');
    const root = configureLogger({ level: 'warn' });
    expect(root.level).toBe('warn');
    expect(createLogger('later').level).toBe('warn');
    // Configured once: a later call keeps the first configuration.
    expect(configureLogger({ level: 'debug' }).level).toBe('warn');
  });
});
