// Why: leadstage targets Node 24 LTS, pinned as the `node` devDependency. npm puts
// node_modules/.bin first on PATH for `npm run`/`npm test`, so this only fails when someone runs
// the scripts with a different Node; say so plainly instead of failing later on syntax.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `leadstage needs Node 24 (found ${process.version}). Run "npm install" so the pinned node@24 ` +
      'lands in node_modules/.bin, and start things through "npm run …" / "npm test".',
  );
  process.exit(1);
}
