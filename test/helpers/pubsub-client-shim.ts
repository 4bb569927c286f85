import { createRequire, registerHooks } from 'node:module';
import { dirname } from 'node:path';

/**
 * avro-js 1.12.2 (a dependency of salesforce-pubsub-api-client) dropped `underscore` from its
 * package.json but still requires it at load time (etc/deprecated/validator.js, used only by its
 * deprecated Validator API). Until the project depends on underscore (or pins avro-js 1.12.1),
 * the tests resolve that one require to an empty module. Import this file before anything that
 * loads the Pub/Sub client; it does nothing once underscore is installed.
 */
const require = createRequire(import.meta.url);
const SHIM = 'file:///leadstage-test-shim/underscore.cjs';
function underscoreMissing(): boolean {
  try {
    require.resolve('underscore', { paths: [dirname(require.resolve('avro-js'))] });
    return false;
  } catch {
    return true;
  }
}
if (underscoreMissing()) {
  registerHooks({
    resolve: (specifier, context, next) =>
      specifier === 'underscore' ? { url: SHIM, format: 'commonjs', shortCircuit: true } : next(specifier, context),
    load: (url, context, next) =>
      url === SHIM ? { format: 'commonjs', source: 'module.exports = {};', shortCircuit: true } : next(url, context),
  });
}
