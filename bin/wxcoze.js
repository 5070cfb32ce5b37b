#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/cli (built from src/cli by `npm install` / `npm run build`).
import('../dist/cli/index.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli')) {
    console.error(
      'wxcoze is not built yet. Run `npm install` (or `npm run build`) in the wxcoze folder first.',
    );
    process.exit(1);
  }
  throw err;
});
