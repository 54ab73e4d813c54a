import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { InvalidArgumentError } from '@verity/core';

/** What the requester keeps of a submitted job: the private opening of its input and the token to read its output. */
export type JobRecord = {
  jobId: string;
  sequencerUrl: string;
  /** The model id the requester signed. */
  modelId: string;
  modelName: string;
  /** The input commitment the requester signed (absent in records written before it was kept). */
  inputCommitment?: string;
  input: number[];
  inputSalt: string;
  accessToken: string;
  submittedAt: string;
};

const dir = (home: string) => join(home, 'jobs');

/** Saved with mode 600: the salt and the token are as private as the input. */
export function saveJobRecord(home: string, record: JobRecord): string {
  mkdirSync(dir(home), { recursive: true, mode: 0o700 });
  const file = join(dir(home), `${record.jobId}.json`);
  writeFileSync(file, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
  return file;
}

export function loadJobRecord(home: string, jobId: string): JobRecord | undefined {
  const file = join(dir(home), `${jobId}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JobRecord;
  } catch {
    throw new InvalidArgumentError(`the job record ${file} is damaged`);
  }
}
