'use strict';
// better-sqlite3's native part (better_sqlite3.node): whether it loads, and what to do when it
// does not. npm downloads it prebuilt from GitHub when wxcoze is installed and compiles it when
// that fails; where GitHub is unreachable and no compiler is installed, it ends up missing.
// One text for both places that meet it: wxcoze's postinstall (npm prints a failing install
// script's output, so the failed install ends with this) and the server, demo and doctor
// (src/store/sqlite/driver.ts).
const path = require('node:path');

const README_SECTION = 'README section "Installing where GitHub is unreachable"';
const BINARY_MIRROR = 'https://registry.npmmirror.com/-/binary/better-sqlite3';

/** The folder whose node_modules holds better-sqlite3 (where `npm rebuild` runs), if it is there. */
function installFolder() {
  try {
    return path.dirname(path.dirname(path.dirname(require.resolve('better-sqlite3/package.json'))));
  } catch {
    return undefined;
  }
}

function fix() {
  const folder = installFolder();
  const fetch = folder
    ? `\`cd ${folder} && npm_config_better_sqlite3_binary_host_mirror=${BINARY_MIRROR} npm rebuild better-sqlite3\``
    : `install wxcoze again with \`npm_config_better_sqlite3_binary_host_mirror=${BINARY_MIRROR}\` in the environment`;
  return `Get it from a mirror: ${fetch}; or install python3, make and g++ so npm can compile it. The ${README_SECTION} (README.md in the wxcoze folder) says what each case needs.`;
}

function problem(err) {
  const first = String(err.message)
    .split('\n')[0]
    .replace(/[\s:.]+$/, '');
  // bindings' "Could not locate the bindings file. Tried:" is followed by a list of paths.
  const why = /bindings file/.test(first) ? 'build/Release/better_sqlite3.node is missing' : first;
  return `the SQLite driver (better-sqlite3's native part) does not load on Node.js ${process.version}: ${why}`;
}

/** True for the ways a missing or mismatched native part shows up. */
function isLoadError(err) {
  if (!(err instanceof Error)) return false;
  if (err.code === 'MODULE_NOT_FOUND' && /better-sqlite3/.test(err.message)) return true;
  return (
    err.code === 'ERR_DLOPEN_FAILED' ||
    /bindings file|better_sqlite3\.node|NODE_MODULE_VERSION|ELF/.test(err.message)
  );
}

/** better-sqlite3's Database class (throws when the package is missing). */
function load() {
  return require('better-sqlite3');
}

module.exports = { README_SECTION, BINARY_MIRROR, fix, problem, isLoadError, load };

// As wxcoze's postinstall: fail the install, with the way out, when the driver does not load.
if (require.main === module) {
  try {
    const Database = load();
    new Database(':memory:').close();
  } catch (err) {
    if (!isLoadError(err)) throw err;
    console.error(
      `wxcoze: ${problem(err)}.\nnpm could neither download it (from GitHub) nor compile it.\n→ ${fix()}`,
    );
    process.exit(1);
  }
}
