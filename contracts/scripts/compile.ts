/**
 * Compiles contracts/src with solc-js and generates typed ethers v6 bindings (TypeChain) for our contracts and
 * for the OP Bedrock contracts we deploy from @eth-optimism/contracts-bedrock. Outputs go to contracts/build/
 * (ignored by git). A content hash of the sources, compiler and bedrock package version makes re-runs a no-op.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runTypeChain } from 'typechain';

import { BEDROCK_CONTRACTS, loadBedrockArtifact } from '../src/bedrock';
import { compileSolidity, SolidityCompileError, solcVersion } from '../src/compileSolidity';
import { artifactsDir, buildDir, contractsSrcDir, typesDir } from '../src/paths';
import { generatePoseidon, POSEIDON_SOL } from './generatePoseidon';

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return name.endsWith('.sol') ? [path] : [];
  });
}

function main(): void {
  // Generated Solidity first: it is a source like the others (and in the content hash).
  generatePoseidon(POSEIDON_SOL);
  const sources = listSources(contractsSrcDir).sort();
  const bedrockVersion = (
    JSON.parse(readFileSync(require.resolve('@eth-optimism/contracts-bedrock/package.json'), 'utf8')) as { version: string }
  ).version;
  const hash = createHash('sha256');
  hash
    .update(solcVersion())
    .update(bedrockVersion)
    .update(readFileSync(__filename))
    .update(readFileSync(require.resolve('../src/compileSolidity')))
    .update(readFileSync(require.resolve('./generatePoseidon')));
  for (const file of sources) hash.update(relative(contractsSrcDir, file)).update(readFileSync(file));
  const digest = hash.digest('hex');
  const stampFile = join(buildDir, 'stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) return;

  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });

  let compiled;
  try {
    compiled = compileSolidity(
      Object.fromEntries(sources.map((file) => [relative(contractsSrcDir, file), readFileSync(file, 'utf8')])),
    );
  } catch (err) {
    if (!(err instanceof SolidityCompileError)) throw err;
    for (const message of err.messages) process.stderr.write(message + '\n');
    process.exit(1);
  }

  const artifactFiles: string[] = [];
  // Only our own contracts; libraries pulled in through imports are not artifacts of ours.
  for (const c of compiled.filter((c) => !c.source.startsWith('@'))) {
    const file = join(artifactsDir, `${c.name}.json`);
    const artifact = {
      contractName: c.name,
      sourceName: c.source,
      abi: c.abi,
      bytecode: c.bytecode,
      deployedBytecode: c.deployedBytecode,
    };
    writeFileSync(file, JSON.stringify(artifact, null, 2));
    artifactFiles.push(file);
  }

  // Bedrock artifacts are copied (abi + bytecode only) next to ours so the bindings share one flat layout.
  mkdirSync(join(artifactsDir, 'bedrock'), { recursive: true });
  const bedrockFiles = BEDROCK_CONTRACTS.map((name) => {
    const { abi, bytecode, deployedBytecode } = loadBedrockArtifact(name);
    const file = join(artifactsDir, 'bedrock', `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({ contractName: name, abi, bytecode: bytecode.object, deployedBytecode: deployedBytecode.object }),
    );
    return file;
  });
  const allFiles = [...artifactFiles, ...bedrockFiles];
  void runTypeChain({
    cwd: artifactsDir,
    filesToProcess: allFiles,
    allFiles,
    outDir: typesDir,
    target: 'ethers-v6',
  }).then(() => {
    writeFileSync(stampFile, digest);
    process.stdout.write(
      `compiled ${artifactFiles.length} contracts with solc ${solcVersion()}, bindings in ${relative(process.cwd(), typesDir)}\n`,
    );
  });
}

main();
