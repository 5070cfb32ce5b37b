/** Every template goes through one renderer that refuses to leave a placeholder unfilled. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderCaddyfile } from '../../src/cli/lib/caddy.js';
import { renderSystemdUnit, systemdWord } from '../../src/cli/lib/systemd-unit.js';
import { renderTemplate, TemplateError } from '../../src/cli/lib/template.js';

const root = join(import.meta.dirname, '../..');

test('a placeholder with no value, a malformed one, or a value nothing uses fails the render, naming it', () => {
  assert.equal(renderTemplate('a {{X}} b {{Y_2}}', { X: '1', Y_2: '2' }), 'a 1 b 2');
  // The bug this guards against: the old pattern had no digits, so {{V8_FLAGS}} stayed in the unit.
  assert.throws(
    () => renderTemplate('ExecStart=node {{V8_FLAGS}} x', {}, 'wxcoze.service'),
    (e: Error) =>
      e instanceof TemplateError &&
      /wxcoze\.service: placeholder \{\{V8_FLAGS\}\} has no value/.test(e.message),
  );
  assert.throws(
    () => renderTemplate('x {{v8_flags}}', { v8_flags: '1' }),
    /malformed placeholder \{\{v8_flags\}\}/,
  );
  assert.throws(() => renderTemplate('x {{ X }}', { X: '1' }), /malformed placeholder \{\{ X \}\}/);
  assert.throws(
    () => renderTemplate('x {{X}}', { X: '1', TYPO: '2' }, 'Caddyfile'),
    /Caddyfile: no placeholder for \{\{TYPO\}\}/,
  );
});

test('a line holding only a placeholder that renders empty disappears; other lines keep their text', () => {
  assert.equal(renderTemplate('a\n  {{OPT}}\nb {{V}}', { OPT: '', V: 'v' }), 'a\nb v');
  assert.equal(renderTemplate('a\n{{OPT}}\nb', { OPT: 'x' }), 'a\nx\nb');
});

test('each shipped template renders with no placeholder left', () => {
  const caddy = renderCaddyfile({
    domain: 'kf.example.com',
    upstream: '127.0.0.1:8000',
    tls: 'internal',
    httpPort: 8080,
  });
  const unit = renderSystemdUnit({
    unitFile: '/d/wxcoze.service',
    user: 'kf',
    workDir: '/d',
    dataDir: '/d',
    node: '/usr/bin/node',
    launcher: '/d/app/bin/wxcoze.js',
  });
  for (const text of [caddy, unit]) assert.doesNotMatch(text, /\{\{|\}\}/);
  assert.match(
    unit,
    /^ExecStart=\/usr\/bin\/node --max-semi-space-size=1 --max-old-space-size=192 --liftoff-only --optimize-for-size \/d\/app\/bin\/wxcoze\.js start$/m,
  );
  // The malloc arena cap reaches the server through the unit's environment (glibc reads it at start).
  assert.match(unit, /^Environment=MALLOC_ARENA_MAX=2$/m);
  // Every template file with placeholders is one of the two rendered above.
  const withPlaceholders = readdirSync(join(root, 'templates')).filter(
    (f) =>
      statSync(join(root, 'templates', f)).isFile() &&
      /\{\{/.test(readFileSync(join(root, 'templates', f), 'utf8')),
  );
  assert.deepEqual(withPlaceholders.sort(), ['Caddyfile', 'wxcoze.service']);
});

test('unit words with blanks, quotes, % or $ are quoted and escaped the way systemd reads them', () => {
  assert.equal(systemdWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(systemdWord('/home/a b/wxcoze.js'), '"/home/a b/wxcoze.js"');
  assert.equal(systemdWord('/srv/100%/x'), '/srv/100%%/x');
  assert.equal(systemdWord('/srv/$HOME/x'), '/srv/$$HOME/x');
  assert.equal(systemdWord('WXCOZE_DATA_DIR=/srv/$x y', { variables: false }), '"WXCOZE_DATA_DIR=/srv/$x y"');
  assert.equal(systemdWord('/a"b'), '"/a\\"b"');
});
