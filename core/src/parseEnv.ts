import type { z } from 'zod';

import { InvalidArgumentError } from './errors/base';

/**
 * Parses the environment against a process's schema, or throws one error that lists every bad variable
 * (`invalid configuration: NAME: problem; …`). Shared by every process's typed config module.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  check?: (parsed: z.infer<S>) => string[],
): z.infer<S> {
  const parsed = schema.safeParse(env);
  const problems = parsed.success
    ? (check?.(parsed.data) ?? [])
    : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  if (!parsed.success || problems.length > 0) throw new InvalidArgumentError(`invalid configuration: ${problems.join('; ')}`);
  return parsed.data;
}
