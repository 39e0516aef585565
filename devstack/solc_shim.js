#!/usr/bin/env node
// A `solc` command-line shim over solcjs (npm `solc`), for py-solc-x, Brownie and slither.
// Native solc downloads are unreachable here, and solcjs's own CLI rejects the flags those
// tools pass (`--allow-paths`) and prints noise before its JSON. This shim answers the two
// calls they make: `--version` and `--standard-json` (input on stdin, output on stdout).
// The installer (devstack/toolchain.py) fills in the two constants below.
'use strict';
const fs = require('fs');
const path = require('path');

const VERSION_STRING = '__SOLC_VERSION__';
const FALLBACK_ROOT = '__PROJECT_ROOT__';

function optionValues(args, name) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(...args[++i].split(','));
    else if (args[i].startsWith(name + '=')) values.push(...args[i].slice(name.length + 1).split(','));
  }
  return values.filter(Boolean);
}

function loadSolc() {
  // Prefer the solc of the project we run in, so several clones never share a stale one.
  const modulePath = require.resolve('solc', { paths: [process.cwd(), FALLBACK_ROOT] });
  return require(modulePath);
}

function importCallback(roots) {
  return (importPath) => {
    if (path.isAbsolute(importPath) && fs.existsSync(importPath)) {
      return { contents: fs.readFileSync(importPath, 'utf8') };
    }
    for (const root of roots) {
      for (const candidate of [path.join(root, importPath), path.join(root, 'node_modules', importPath)]) {
        if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found in ${roots.join(', ')}: ${importPath}` };
  };
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes('--version')) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${VERSION_STRING}\n`);
    return 0;
  }
  if (!args.includes('--standard-json')) {
    process.stderr.write('This solc shim supports only --version and --standard-json.\n');
    return 1;
  }
  const roots = [
    ...optionValues(args, '--base-path'),
    ...optionValues(args, '--include-path'),
    ...optionValues(args, '--allow-paths'),
    process.cwd(),
    FALLBACK_ROOT,
  ].map((p) => path.resolve(p));
  const input = fs.readFileSync(0, 'utf8');
  const output = loadSolc().compile(input, { import: importCallback([...new Set(roots)]) });
  process.stdout.write(output);
  return 0;
}

process.exitCode = main();
