#!/usr/bin/env node
// The layer rule, checked on every `npm test`: each folder imports only from layers below it (or
// itself), peers of one layer never import each other, and src/core imports nothing of ours and
// no I/O, clock or environment. Prints every violation and one summary line; exit 1 on any.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
/** Lowest first. A folder may import its own layer's folder and anything in a lower layer. */
const LAYERS = [
  ['src/core'],
  ['src/config'],
  ['src/platform'],
  ['src/store'],
  ['src/crm', 'webhooks', 'jobs'],
  ['src/app', 'src/sandbox'],
  ['src/cli', 'src/demo'],
];
const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i])));
const CORE_FORBIDDEN = [
  /^node:(fs|http|https|net|child_process|process|os|worker_threads)/,
  /^(ioredis|bullmq|express|pino|yaml|zod|jsforce|@hubspot)/,
];
const CORE_FORBIDDEN_TEXT = [/\bDate\.now\(/, /new Date\(\)/, /\bprocess\./, /\bMath\.random\(/];

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) files.push(p);
  }
})(join(root, 'src'));
for (const top of ['webhooks', 'jobs']) if (existsSync(join(root, top))) files.push(...walkTs(join(root, top)));
function walkTs(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walkTs(p) : /\.ts$/.test(n) ? [p] : [];
  });
}

function folderOf(file) {
  const parts = relative(root, file).split('/');
  return parts[0] === 'src' ? `src/${parts[1]}` : parts[0];
}
const importRe = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
let edges = 0;
for (const f of files) {
  const from = folderOf(f);
  const src = readFileSync(f, 'utf8');
  const fromLayer = layerOf.get(from);
  if (fromLayer === undefined) {
    problems.push(`${relative(root, f)}: folder ${from} has no layer; add it to LAYERS in scripts/check-structure.mjs`);
    continue;
  }
  for (const m of src.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (from === 'src/core' && CORE_FORBIDDEN.some((r) => r.test(spec)))
      problems.push(`${relative(root, f)}: src/core must stay pure, but imports ${spec}`);
    if (!spec.startsWith('.')) continue;
    const to = folderOf(resolve(dirname(f), spec));
    if (to === from) continue;
    edges += 1;
    const toLayer = layerOf.get(to);
    if (toLayer === undefined || toLayer > fromLayer)
      problems.push(`${relative(root, f)}: ${from} imports ${spec} (${to}) from a higher layer`);
    else if (toLayer === fromLayer)
      problems.push(
        `${relative(root, f)}: ${from} imports its peer ${to} (${spec}); move the shared part down a layer`,
      );
  }
  if (from === 'src/core') {
    for (const r of CORE_FORBIDDEN_TEXT)
      if (r.test(src))
        problems.push(`${relative(root, f)}: src/core must not read a clock, randomness or the environment (${r})`);
  }
}
for (const p of problems) console.log(p);
console.log(
  `structure: ${files.length} files, ${edges} imports across folders, ${problems.length} violations of the layers (${LAYERS.map((l) => l.join(' ')).join(' ← ')})`,
);
process.exit(problems.length ? 1 : 0);
