#!/bin/sh
':' //; for a; do [ "$a" = start ] && case "$NODE_OPTIONS" in *max-old-space-size*) ;; *) export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"; exec node --max-semi-space-size=1 --max-old-space-size=192 --liftoff-only --optimize-for-size "$0" "$@" ;; esac; done; exec node "$0" "$@"
// Thin launcher: the CLI lives in dist/cli (built from src/cli by `npm install` / `npm run build`).
// Run as a program (`wxcoze start`, `npx wxcoze start`), the line above is sh: it runs node with the
// server's V8 heap flags and its malloc arena cap (src/server/v8-flags.ts; a unit test keeps the two
// equal) for `start`, in this same process (exec), and plain node for the rest. For node (`node bin/wxcoze.js`) it is a
// string and a comment, and `start` applies the flags itself (src/cli/lib/heap-flags.ts).
import('../dist/cli/index.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli')) {
    console.error(
      'wxcoze is not built yet. Run `npm install` (or `npm run build`) in the wxcoze folder first.',
    );
    process.exit(1);
  }
  throw err;
});
