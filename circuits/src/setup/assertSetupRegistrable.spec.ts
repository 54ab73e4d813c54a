import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidInputError } from '../errors';
import { zkeyContributionCount } from './assertSetupRegistrable';

/** A file with a zkey header and the given sections (id, body). */
function zkeyWith(sections: [number, Buffer][], declared = sections.length): Buffer {
  const head = Buffer.alloc(12);
  head.write('zkey', 0, 'latin1');
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(declared, 8);
  const parts: Buffer[] = [head];
  for (const [id, body] of sections) {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(id, 0);
    h.writeBigUInt64LE(BigInt(body.length), 4);
    parts.push(h, body);
  }
  return Buffer.concat(parts);
}
const contributions = (count: number) => {
  const body = Buffer.alloc(68);
  body.writeUInt32LE(count, 64);
  return body;
};

describe('zkeyContributionCount on crafted files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'verity-zkey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };

  it('reads the count of the one contributions section', () => {
    expect(
      zkeyContributionCount(
        file(
          'one.zkey',
          zkeyWith([
            [1, Buffer.alloc(4)],
            [10, contributions(3)],
          ]),
        ),
      ),
    ).toBe(3);
  });

  it('refuses a decoy second contributions section, a short one, a missing one and a huge section table', () => {
    const decoy = file(
      'decoy.zkey',
      zkeyWith([
        [10, contributions(5)],
        [10, contributions(0)],
      ]),
    );
    expect(() => zkeyContributionCount(decoy)).toThrow(InvalidInputError);
    expect(() => zkeyContributionCount(file('short.zkey', zkeyWith([[10, Buffer.alloc(8)]])))).toThrow(/malformed/);
    expect(() => zkeyContributionCount(file('none.zkey', zkeyWith([[1, Buffer.alloc(4)]])))).toThrow(/no contributions/);
    // Millions of empty sections would hold the event loop for a minute: refused from the header alone.
    expect(() => zkeyContributionCount(file('huge.zkey', zkeyWith([], 22_000_000)))).toThrow(/declares 22000000 sections/);
  });
});
