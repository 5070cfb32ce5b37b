/**
 * Secrets given to a command without putting them on its command line, where `ps` shows them to every
 * user of the machine and the shell history keeps them: from the environment (each command's own
 * variables), from a file (`--coze-token-file <path>`), or from standard input (`--coze-token-file -`).
 * A secret passed as a flag still works, with one warning on stderr saying what to do instead.
 */
import { readFileSync } from 'node:fs';

export interface SecretOption {
  /** The option's property name in commander's opts (camelCase), e.g. `cozeToken`; its file option is `cozeTokenFile`. */
  name: string;
  /** The flag as typed, e.g. `--coze-token`. */
  flag: string;
  /** The environment variable that carries it instead. */
  env: string;
}

export class SecretInputError extends Error {}

/** File contents without the newline editors and `echo` add; a secret never holds whitespace at its ends. */
function clean(text: string, where: string): string {
  const v = text.trim();
  if (!v) throw new SecretInputError(`${where} is empty: put the secret in it (one line).`);
  return v;
}

async function readStdin(stdin: NodeJS.ReadableStream & { isTTY?: boolean }, flag: string): Promise<string> {
  if (stdin.isTTY)
    throw new SecretInputError(
      `${flag}-file -: standard input is a terminal, nothing was piped in. Pipe the secret in (e.g. \`cat token.txt | wxcoze …\`) or give a file path.`,
    );
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return clean(Buffer.concat(chunks).toString('utf8'), `standard input (${flag}-file -)`);
}

/**
 * Reads the `…File` options of `specs` into their values (returned by name), and warns once on stderr
 * about secrets passed as flags. Throws SecretInputError with what to do when a file cannot be used.
 */
export async function readSecretOptions(
  opts: Record<string, unknown>,
  specs: SecretOption[],
  io: { stdin?: NodeJS.ReadableStream & { isTTY?: boolean }; warn?: (text: string) => void } = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const onCommandLine: SecretOption[] = [];
  let stdinUsedBy: string | undefined;
  for (const s of specs) {
    const file = opts[`${s.name}File`];
    const flagValue = opts[s.name];
    if (typeof file === 'string') {
      if (typeof flagValue === 'string')
        throw new SecretInputError(
          `${s.flag} and ${s.flag}-file both given: use only ${s.flag}-file (or ${s.env} in the environment).`,
        );
      if (file === '-') {
        if (stdinUsedBy)
          throw new SecretInputError(
            `${stdinUsedBy}-file - and ${s.flag}-file - both read standard input: only one secret can come from it; give the other as a file or in ${s.env}.`,
          );
        stdinUsedBy = s.flag;
        out[s.name] = await readStdin(io.stdin ?? process.stdin, s.flag);
        continue;
      }
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new SecretInputError(
          `${s.flag}-file ${file}: cannot read it (${code}). Give the path of a file holding the secret, - for standard input, or set ${s.env} instead.`,
        );
      }
      out[s.name] = clean(text, `${s.flag}-file ${file}`);
    } else if (typeof flagValue === 'string' && flagValue !== '') {
      onCommandLine.push(s);
    }
  }
  if (onCommandLine.length) {
    const flags = onCommandLine.map((s) => s.flag).join(', ');
    const instead = onCommandLine
      .map((s) => `${s.env}=… in the environment or ${s.flag}-file <path>`)
      .join('; ');
    (io.warn ?? ((t: string) => process.stderr.write(t)))(
      `warning: ${flags} put${onCommandLine.length === 1 ? 's a secret' : ' secrets'} on the command line, where other users of this machine see ${onCommandLine.length === 1 ? 'it' : 'them'} (\`ps\`) and your shell history keeps ${onCommandLine.length === 1 ? 'it' : 'them'}.\n` +
        `  → Next time use ${instead} (- reads standard input).\n`,
    );
  }
  return out;
}
