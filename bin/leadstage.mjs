#!/usr/bin/env node
// Launcher for the `leadstage` command. leadstage is TypeScript run by Node 24's built-in type
// stripping, so an older Node fails with a clear message rather than a syntax error.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `leadstage needs Node 24 or newer (this is ${process.version}). Run it through "npx leadstage" or "npm run leadstage --" after "npm install", which use the pinned node@24.`,
  );
  process.exit(1);
}
const { runFromProcess } = await import('../src/cli/main.ts');
await runFromProcess();
