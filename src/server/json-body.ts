/**
 * JSON request bodies that cannot stall the event loop. JSON.parse is one synchronous call: a body
 * nested a million levels deep took 1.7 s before it failed, and a legitimate 20 MB one 70–140 ms.
 *  - The body is read here, not by fastify: each chunk is checked (nesting deeper than MAX_DEPTH,
 *    more than MAX_ITEMS values) and decoded as it arrives, so a bad body is refused before the
 *    rest is even read, and there is no whole-body copy or decode in one go (fastify concatenates
 *    the chunks, then decodes them: two more uninterruptible steps as long as the parse).
 *  - What remains in one step is JSON.parse itself, which grows with the body size: that is why
 *    WXCOZE_OPENAI_BODY_LIMIT defaults to 5 MB (README, bench/RESULTS.md).
 * Prototype poisoning (`__proto__`, `constructor.prototype`) is refused as fastify's own parser does.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import sjson from 'secure-json-parse';

export const MAX_DEPTH = 64;
export const MAX_ITEMS = 50_000;

export class JsonBodyError extends Error {
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/** Bracket depth and value count outside strings, fed chunk by chunk (state carries across chunks). */
export class JsonShapeScanner {
  private depth = 0;
  private items = 0;
  private inString = false;
  private escaped = false;

  constructor(
    private readonly maxDepth = MAX_DEPTH,
    private readonly maxItems = MAX_ITEMS,
  ) {}

  /** Why the JSON must not be parsed (too deep, too many values), or null. Malformed JSON is left to JSON.parse. */
  feed(bytes: Uint8Array): string | null {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++this.depth > this.maxDepth) return `the JSON is nested deeper than ${this.maxDepth} levels`;
        if (++this.items > this.maxItems) return `the JSON has more than ${this.maxItems} values`;
      } else if (c === 0x7d || c === 0x5d) this.depth--;
      else if (c === 0x2c && ++this.items > this.maxItems)
        return `the JSON has more than ${this.maxItems} values`;
    }
    return null;
  }
}

/** Why the bytes must not be parsed, or null (the whole-buffer form of JsonShapeScanner). */
export function jsonShapeProblem(
  bytes: Uint8Array,
  maxDepth = MAX_DEPTH,
  maxItems = MAX_ITEMS,
): string | null {
  return new JsonShapeScanner(maxDepth, maxItems).feed(bytes);
}

/** The parsed value of complete JSON text, or a JsonBodyError (400) saying what is wrong with it. */
export function parseJsonText(text: string): unknown {
  if (text.length === 0) throw new JsonBodyError('the body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
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

/** Checks and parses a whole body already in memory. */
export function parseJsonBody(body: Buffer): unknown {
  const problem = jsonShapeProblem(body);
  if (problem) throw new JsonBodyError(problem);
  return parseJsonText(body.toString('utf8'));
}

/**
 * Reads a request body stream: at most `limit` bytes (413 beyond, as fastify would), checked and
 * decoded chunk by chunk, then parsed.
 */
export function readJsonBody(stream: Readable, limit: number, declaredLength?: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (declaredLength !== undefined && declaredLength > limit) {
      reject(new JsonBodyError('Request body is too large', 413));
      return;
    }
    const scanner = new JsonShapeScanner();
    const decoder = new StringDecoder('utf8');
    let text = '';
    let size = 0;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      // Let the rest drain (bounded by the request timeout) so the answer can still be written.
      stream.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return fail(new JsonBodyError('Request body is too large', 413));
      const problem = scanner.feed(chunk);
      if (problem) return fail(new JsonBodyError(problem));
      text += decoder.write(chunk);
    };
    stream.on('data', onData);
    stream.on('error', fail);
    stream.once('aborted', () => fail(new Error('the client aborted the request')));
    stream.once('end', () => {
      if (settled) return;
      settled = true;
      try {
        resolve(parseJsonText(text + decoder.end()));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}
