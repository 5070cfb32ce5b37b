/** Commander argument parsers shared by every command, so a bad number is refused the same way everywhere. */
import { InvalidArgumentError } from 'commander';

/**
 * A parser for a whole-number option from `min` up: `stop --timeout abc`, `logs -n -3` and
 * `start --drain-ms 1.5` are refused before the command runs, with the value and what is expected.
 * Commander prints "error: option '…' argument '…' is invalid. <this text>" and exits 1.
 */
export function wholeNumber(min: number, unit = ''): (value: string) => number {
  return (value) => {
    const v = value.trim();
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(
        `Use a whole number${unit ? ` of ${unit}` : ''}, ${min} or more (digits only).`,
      );
    }
    return n;
  };
}

/** A positive whole number (1, 2, …). */
export const positiveInt = (unit = '') => wholeNumber(1, unit);
/** A count where 0 has a meaning of its own (e.g. `logs -n 0` = all). */
export const countInt = (unit = '') => wholeNumber(0, unit);
/** A TCP port, 1–65535. */
export function portNumber(value: string): number {
  const n = wholeNumber(1)(value);
  if (n > 65535) throw new InvalidArgumentError('Use a port number from 1 to 65535.');
  return n;
}
