#!/usr/bin/env node
/**
 * A stand-in for the `solc` binary so forge can compile offline: forge cannot download a compiler here, so
 * foundry.toml points `solc` at this script, which answers the two things forge asks of a compiler with the solc-js
 * build from node_modules (the same compiler the contracts build uses):
 *   solc --version                 → "Version: 0.8.28+commit.7893614a.Linux.g++" (forge parses that line)
 *   solc --standard-json [paths]   → standard JSON in on stdin, out on stdout
 * Imports that forge did not inline are read from --base-path, each --include-path, each --allow-paths entry, and
 * node_modules, in that order.
 */
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { isAbsolute, join, resolve } = require('node:path');

const solc = require('solc');

const args = process.argv.slice(2);

if (args.includes('--version')) {
  // solc-js reports "0.8.28+commit.7893614a.Emscripten.clang"; forge wants the native binary's platform suffix.
  const version = solc.version().replace(/\.Emscripten\.clang$/, '');
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${version}.Linux.g++\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('this solc stand-in only supports --version and --standard-json\n');
  process.exit(1);
}

/** Values of a flag given as `--flag value`, `--flag=value`, or comma-separated lists (solc's --allow-paths). */
function flagValues(name) {
  const values = [];
  args.forEach((arg, i) => {
    if (arg === name && i + 1 < args.length) values.push(args[i + 1]);
    else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
  });
  return values.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

const roots = [...flagValues('--base-path'), ...flagValues('--include-path'), ...flagValues('--allow-paths')];

function findImport(path) {
  const candidates = isAbsolute(path) ? [path] : roots.map((root) => resolve(root, path));
  for (const file of candidates) if (existsSync(file)) return { contents: readFileSync(file, 'utf8') };
  try {
    return { contents: readFileSync(require.resolve(path, { paths: [process.cwd(), __dirname] }), 'utf8') };
  } catch {
    const nodeModules = join(__dirname, '..', '..', 'node_modules', path);
    if (existsSync(nodeModules)) return { contents: readFileSync(nodeModules, 'utf8') };
    return { error: `File not found: ${path} (looked in ${[...roots, 'node_modules'].join(', ')})` };
  }
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  const input = Buffer.concat(chunks).toString('utf8');
  process.stdout.write(solc.compile(input, { import: findImport }));
});
