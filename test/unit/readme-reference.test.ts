/**
 * The README's CLI table and dependency table against the code: every command and every flag it
 * really has, every dependency in package.json with a reason. A new flag or package without a
 * README line fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

function section(title: string): string {
  const start = README.indexOf(title);
  assert.ok(start >= 0, `README has no "${title}" section`);
  const next = README.indexOf('\n## ', start + title.length);
  return README.slice(start, next < 0 ? undefined : next);
}

/** Every command, registered exactly as the CLI registers it (one module per command). */
async function program(): Promise<Command> {
  const p = new Command('wxcoze');
  const dir = join(ROOT, 'src/cli/commands');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const mod = (await import(join(dir, file))) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod))
      if (/^register[A-Z]/.test(name) && typeof fn === 'function') (fn as (p: Command) => void)(p);
  }
  return p;
}

test('the CLI table has a row for every command and names every one of its flags', async () => {
  const table = section('### CLI reference');
  const rows = table.split('\n').filter((l) => l.startsWith('| `wxcoze '));
  const commands = (await program()).commands;
  assert.ok(commands.length >= 12);
  for (const cmd of commands) {
    for (const sub of cmd.commands.length ? cmd.commands : [cmd]) {
      const name = sub === cmd ? cmd.name() : `${cmd.name()} ${sub.name()}`;
      const row = rows.find(
        (r) => r.startsWith(`| \`wxcoze ${name}`) || (sub !== cmd && r.includes(`wxcoze ${name}`)),
      );
      assert.ok(row, `no README row for \`wxcoze ${name}\``);
      for (const opt of sub.options) {
        const flag = opt.long!;
        const mentioned = new RegExp(`(${flag}${opt.short ? `|${opt.short}` : ''})(?![\\w-])`).test(row);
        assert.ok(mentioned, `README row for \`wxcoze ${name}\` does not mention ${flag}`);
      }
    }
  }
});

test('the dependency table gives a reason for every dependency in package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  const table = section('## Dependencies, and why each is there');
  const listed = table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| package'))
    .map((l) =>
      l
        .split('|')[1]!
        .replace(/\([^)]*\)/g, '')
        .split(',')
        .map((s) => s.trim()),
    );
  const names = new Set(listed.flat());
  const all = { ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies };
  for (const dep of Object.keys(all))
    assert.ok(names.has(dep), `README's dependency table has no line for ${dep}`);
  for (const name of names)
    assert.ok(name in all, `README lists ${name}, which package.json does not depend on`);
});
