/**
 * JSON request bodies that cannot stall the event loop. JSON.parse is one synchronous call: a body
 * nested a million levels deep took 1.7 s before it failed. A linear pre-scan refuses nesting
 * deeper than MAX_DEPTH and more than MAX_ITEMS values before anything is parsed (no OpenAI
 * request comes near either); strings are skipped with a native search, so a large base64 image
 * costs almost nothing to scan. What remains is JSON.parse itself, which grows with the body size:
 * that is why WXCOZE_OPENAI_BODY_LIMIT defaults to 5 MB (README, bench/RESULTS.md).
 * Prototype poisoning (`__proto__`, `constructor.prototype`) is refused as fastify's own parser does.
 */
import sjson from 'secure-json-parse';

export const MAX_DEPTH = 64;
export const MAX_ITEMS = 50_000;

export class JsonBodyError extends Error {
  readonly statusCode = 400;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Why the bytes must not be parsed (too deep, too many values), or null. Malformed JSON is left to JSON.parse. */
export function jsonShapeProblem(bytes: Buffer, maxDepth = MAX_DEPTH, maxItems = MAX_ITEMS): string | null {
  let depth = 0;
  let items = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        const q = bytes.indexOf(QUOTE, i + 1);
        if (q < 0) return null; // unterminated: JSON.parse says so
        let b = q - 1;
        while (bytes[b] === BACKSLASH) b--;
        i = q;
        if ((q - 1 - b) % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return `the JSON is nested deeper than ${maxDepth} levels`;
      if (++items > maxItems) return `the JSON has more than ${maxItems} values`;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && ++items > maxItems) return `the JSON has more than ${maxItems} values`;
  }
  return null;
}

/** The parsed body, or a JsonBodyError (400) saying what is wrong with it. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new JsonBodyError('the body is empty; send a JSON object');
  const problem = jsonShapeProblem(body);
  if (problem) throw new JsonBodyError(problem);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new JsonBodyError(`the body is not valid JSON (${(err as Error).message.slice(0, 100)})`);
  }
  if (value === null || typeof value !== 'object') return value;
  try {
    return sjson.scan(value as Record<string, unknown>, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new JsonBodyError('the body contains a forbidden key (__proto__ or constructor.prototype)');
  }
}
