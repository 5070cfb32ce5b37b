/**
 * "The command to run next", as printed in hints and fixes. When the user chose a data directory
 * with --data-dir, every command we tell them to run carries the same flag: otherwise they would
 * run it against ~/.wxcoze and see someone else's (or no) configuration.
 */

let dataDirFlag: string | undefined;

/** Called once by the CLI entry point when --data-dir was given. */
export function rememberDataDirFlag(dir: string | undefined): void {
  dataDirFlag = dir;
}

/** A path as a shell word: quoted only when it needs to be. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** `wxcoze <rest>`, with `--data-dir <dir>` when the user gave one: `nextCommand('start --daemon')`. */
export function nextCommand(rest: string): string {
  return dataDirFlag ? `wxcoze --data-dir ${shellWord(dataDirFlag)} ${rest}` : `wxcoze ${rest}`;
}

const SUBCOMMAND =
  /\bwxcoze (?=(?:init|start|stop|status|logs|verify|doctor|users|fakes|demo|migrate|migrate-store|update)\b)/g;

/**
 * Adds `--data-dir <dir>` to every `wxcoze <command>` in a message built elsewhere (config problems,
 * setup fixes shared with the server): the one place those texts pass before they are printed.
 */
export function withDataDir(text: string): string {
  return dataDirFlag ? text.replace(SUBCOMMAND, `wxcoze --data-dir ${shellWord(dataDirFlag)} `) : text;
}
