/**
 * The one way wxcoze fills its templates (templates/*): `{{NAME}}` placeholders. Rendering fails
 * loudly on a placeholder with no value and on a value no placeholder uses, so a renamed or
 * mistyped placeholder can never reach a file on disk (a unit with `{{V8_FLAGS}}` left in it once did).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './paths.js';

/** Anything between double braces counts, so `{{v8_flags}}` or `{{ X }}` cannot slip through either. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const NAME = /^[A-Z][A-Z0-9_]*$/;

export class TemplateError extends Error {}

/**
 * Fills `{{NAME}}` placeholders; a line holding only a placeholder that renders empty disappears.
 * `name` (the template's file name) is only for the error message.
 */
export function renderTemplate(text: string, vars: Record<string, string>, name = 'template'): string {
  const used = new Set<string>();
  const value = (raw: string): string => {
    const key = raw.trim();
    if (!NAME.test(key) || raw !== key)
      throw new TemplateError(`${name}: malformed placeholder {{${raw}}} (write {{UPPER_CASE_NAME}})`);
    if (!(key in vars) || vars[key] === undefined)
      throw new TemplateError(`${name}: placeholder {{${key}}} has no value`);
    used.add(key);
    return vars[key];
  };
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const only = /^\s*\{\{([^{}]*)\}\}\s*$/.exec(line);
    if (only && value(only[1]!) === '') continue;
    out.push(line.replace(PLACEHOLDER, (_m, k: string) => value(k)));
  }
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length)
    throw new TemplateError(`${name}: no placeholder for ${unused.map((k) => `{{${k}}}`).join(', ')}`);
  return out.join('\n');
}

export function readTemplate(name: string): string {
  return readFileSync(join(packageRoot(), 'templates', name), 'utf8');
}

/** Reads templates/<name> and renders it. */
export function renderTemplateFile(name: string, vars: Record<string, string>): string {
  return renderTemplate(readTemplate(name), vars, name);
}
