import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';

import { JobRequestDto, parseValidSubmitJob, SubmitJobDto } from './submit-job.dto';

const pipe = new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: false });
const metadata: ArgumentMetadata = { type: 'body', metatype: SubmitJobDto };
const validate = (body: unknown) =>
  pipe.transform(body, metadata).then(
    (dto: unknown) => ({ ok: true as const, dto }),
    () => ({ ok: false as const }),
  );

const valid = () => ({
  request: {
    modelId: '9562516377654909',
    inputCommitment: '123',
    reward: '1000',
    maxFee: '100',
    deadline: 1767225600,
    nonce: '0',
    requester: '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
  },
  signature: '0x' + 'ab'.repeat(65),
  input: [5.1, 3.5, -1.4, 0],
  inputSalt: '42',
});

type Body = ReturnType<typeof valid>;
const mutations: [string, (b: Body) => unknown][] = [
  ['as is', (b) => b],
  ['an extra key', (b) => ({ ...b, extra: 1 })],
  ['an extra request key', (b) => ({ ...b, request: { ...b.request, extra: 1 } })],
  ['no signature', ({ signature: _, ...b }) => b],
  ['no request.nonce', (b) => ({ ...b, request: { ...b.request, nonce: undefined } })],
  ['a numeric reward', (b) => ({ ...b, request: { ...b.request, reward: 1000 } })],
  ['a reward with a leading zero', (b) => ({ ...b, request: { ...b.request, reward: '01' } })],
  ['a reward of 2^256', (b) => ({ ...b, request: { ...b.request, reward: (1n << 256n).toString() } })],
  ['a string deadline', (b) => ({ ...b, request: { ...b.request, deadline: '1767225600' } })],
  ['a fractional deadline', (b) => ({ ...b, request: { ...b.request, deadline: 1.5 } })],
  ['a negative deadline', (b) => ({ ...b, request: { ...b.request, deadline: -1 } })],
  ['a short requester', (b) => ({ ...b, request: { ...b.request, requester: '0x1234' } })],
  ['a lowercase requester', (b) => ({ ...b, request: { ...b.request, requester: b.request.requester.toLowerCase() } })],
  ['a request array', (b) => ({ ...b, request: [b.request] })],
  ['a null request', (b) => ({ ...b, request: null })],
  ['an odd-length signature', (b) => ({ ...b, signature: '0xabc' })],
  ['a signature over 4098 characters', (b) => ({ ...b, signature: '0x' + 'ab'.repeat(2049) })],
  ['a signature of 4098 characters', (b) => ({ ...b, signature: '0x' + 'ab'.repeat(2048) })],
  ['an empty input', (b) => ({ ...b, input: [] })],
  ['a string in the input', (b) => ({ ...b, input: [1, '2'] })],
  ['a null in the input', (b) => ({ ...b, input: [1, null] })],
  ['an input object', (b) => ({ ...b, input: { 0: 1 } })],
  ['a negative salt', (b) => ({ ...b, inputSalt: '-1' })],
  ['an array body', (b) => [b]],
  ['a string body', () => 'x'],
];

describe('parseValidSubmitJob', () => {
  it.each(mutations)('is never more lenient than the decorators, and equal where it answers: %s', async (_, mutate) => {
    const body = mutate(valid());
    const fast = parseValidSubmitJob(JSON.parse(JSON.stringify(body ?? null)));
    const slow = await validate(JSON.parse(JSON.stringify(body ?? null)));
    if (fast) {
      expect(slow.ok).toBe(true);
      expect(fast).toBeInstanceOf(SubmitJobDto);
      expect(fast.request).toBeInstanceOf(JobRequestDto);
      expect({ ...fast, request: { ...fast.request } }).toEqual({
        ...(slow as { dto: SubmitJobDto }).dto,
        request: { ...(slow as { dto: SubmitJobDto }).dto.request },
      });
    }
  });

  it('takes the body every client sends', () => {
    expect(parseValidSubmitJob(valid())).toBeDefined();
    expect(parseValidSubmitJob({ ...valid(), signature: '0x' + 'ab'.repeat(2048) })).toBeDefined();
  });
});
