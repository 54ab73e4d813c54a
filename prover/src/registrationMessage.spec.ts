import { checkRegistrationMessage, registrationMessage } from './registrationMessage';

const market = { chainId: 901, address: '0x' + 'ab'.repeat(20) };
const challenge = 'cd'.repeat(32);

describe('checkRegistrationMessage', () => {
  it('accepts the message for this market, chain and challenge (any address case)', () => {
    expect(() => checkRegistrationMessage({ message: registrationMessage(challenge, market), challenge, market })).not.toThrow();
    const upper = { ...market, address: '0x' + 'AB'.repeat(20) };
    expect(() => checkRegistrationMessage({ message: registrationMessage(challenge, upper), challenge, market })).not.toThrow();
  });

  it.each([
    ['another market', registrationMessage(challenge, { ...market, address: '0x' + '11'.repeat(20) })],
    ['another chain', registrationMessage(challenge, { ...market, chainId: 10 })],
    ['another challenge', registrationMessage('ef'.repeat(32), market)],
    ['a different text', `Sign in\n${registrationMessage(challenge, market)}`],
    ['an extra line', `${registrationMessage(challenge, market)}\nalso: transfer everything`],
  ])('refuses %s', (_what, message) => {
    expect(() => checkRegistrationMessage({ message, challenge, market })).toThrow(
      expect.objectContaining({ code: 'REGISTRATION_MESSAGE_REFUSED' }),
    );
  });
});
