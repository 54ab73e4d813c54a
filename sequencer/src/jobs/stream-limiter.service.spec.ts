import { loadSequencerConfig } from '../config/config';
import { StreamLimiterService } from './stream-limiter.service';

const limiter = () =>
  new StreamLimiterService(
    loadSequencerConfig({ SEQUENCER_WORKERS: 'off', SEQUENCER_SSE_MAX_STREAMS: '3', SEQUENCER_SSE_MAX_STREAMS_PER_IP: '2' }),
  );

describe('StreamLimiterService', () => {
  it('caps the streams of one address, then all streams, and frees a slot once on release', () => {
    const streams = limiter();
    const a1 = streams.acquire('10.0.0.1');
    streams.acquire('10.0.0.1');
    expect(() => streams.acquire('10.0.0.1')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    streams.acquire('10.0.0.2');
    expect(() => streams.acquire('10.0.0.3')).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED', shortMessage: expect.stringMatching(/at most 3/) }),
    );
    a1();
    a1(); // a second release of the same slot frees nothing more
    expect(streams.open()).toEqual({ total: 2, addresses: 2 });
    streams.acquire('10.0.0.3');
    expect(() => streams.acquire('10.0.0.1')).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
  });

  it('refuses a per-address cap above the global cap at boot', () => {
    expect(() =>
      loadSequencerConfig({ SEQUENCER_WORKERS: 'off', SEQUENCER_SSE_MAX_STREAMS: '2', SEQUENCER_SSE_MAX_STREAMS_PER_IP: '3' }),
    ).toThrow(/SEQUENCER_SSE_MAX_STREAMS_PER_IP/);
  });
});
