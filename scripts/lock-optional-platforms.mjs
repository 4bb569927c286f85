// Why: the package registry reachable from our build machines lacks some platform builds of
// msgpackr-extract (an optional native speed-up of msgpackr, used by BullMQ). `npm install` then
// leaves them out of package-lock.json and `npm ci` refuses the lock as "out of sync". Those
// packages never install on Linux anyway (os/cpu mismatch), so we record them as optional
// entries without a tarball. Run after `npm install` changes the lock; it is idempotent.
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${path}/${key}`]) continue;
    const m = /-(darwin|linux|win32|freebsd)-(arm64|x64|arm|ia32)$/.exec(name);
    if (!m) continue;
    lock.packages[key] = { version, license: 'MIT', optional: true, os: [m[1]], cpu: [m[2]] };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`lock-optional-platforms: added ${added} entr${added === 1 ? 'y' : 'ies'}`);
