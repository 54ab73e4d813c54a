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
import { artifactsDir, buildDir, contractsSrcDir, typesDir } from '../src/paths';

// solc-js ships no types; its API is a single JSON-in/JSON-out function.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as {
  version(): string;
  compile(input: string, options: { import(path: string): { contents: string } | { error: string } }): string;
};

type SolcOutput = {
  errors?: { severity: 'error' | 'warning'; formattedMessage: string }[];
  contracts: Record<
    string,
    Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
};

function listSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listSources(path);
    return name.endsWith('.sol') ? [path] : [];
  });
}

function resolveImport(path: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(path), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

function main(): void {
  const sources = listSources(contractsSrcDir).sort();
  const bedrockVersion = (
    JSON.parse(readFileSync(require.resolve('@eth-optimism/contracts-bedrock/package.json'), 'utf8')) as { version: string }
  ).version;
  const hash = createHash('sha256');
  hash.update(solc.version()).update(bedrockVersion).update(readFileSync(__filename));
  for (const file of sources) hash.update(relative(contractsSrcDir, file)).update(readFileSync(file));
  const digest = hash.digest('hex');
  const stampFile = join(buildDir, 'stamp');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) return;

  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(artifactsDir, { recursive: true });

  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(
      sources.map((file) => [relative(contractsSrcDir, file), { content: readFileSync(file, 'utf8') }]),
    ),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(e.formattedMessage + '\n');
    process.exit(1);
  }

  const artifactFiles: string[] = [];
  for (const [source, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      // Only our own deployable contracts; libraries pulled in through imports are not artifacts of ours.
      if (c.evm.bytecode.object === '' || source.startsWith('@')) continue;
      const file = join(artifactsDir, `${name}.json`);
      const artifact = {
        contractName: name,
        sourceName: source,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      writeFileSync(file, JSON.stringify(artifact, null, 2));
      artifactFiles.push(file);
    }
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
      `compiled ${artifactFiles.length} contracts with solc ${solc.version()}, bindings in ${relative(process.cwd(), typesDir)}\n`,
    );
  });
}

main();
