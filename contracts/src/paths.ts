import { join } from 'node:path';

/** Every path the contracts build reads or writes, in one place. */
export const contractsDir = join(__dirname, '..');
export const contractsSrcDir = join(contractsDir, 'src');
export const buildDir = join(contractsDir, 'build');
export const artifactsDir = join(buildDir, 'artifacts');
export const typesDir = join(buildDir, 'types');
