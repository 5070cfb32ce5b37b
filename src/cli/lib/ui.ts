/** Terminal output helpers: ✓/✗ lines, colour only on a terminal (NO_COLOR respected). */

const useColor = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);

export const green = paint('32');
export const red = paint('31');
export const yellow = paint('33');
export const dim = paint('2');
export const bold = paint('1');

export const OK = () => green('✓');
export const FAIL = () => red('✗');
export const SKIP = () => dim('–');
export const WARN = () => yellow('!');

/** Indents every line after the first by `n` spaces (for multi-line details under a ✓/✗ line). */
export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l, i) => (i === 0 ? l : pad + l))
    .join('\n');
}
