/**
 * The `content` of one OpenAI message as text and image parts. Strings, text parts, refusals and
 * `image_url` parts are understood; file and audio parts are refused with a 400 in the message
 * being asked (strict) and replaced by a placeholder in older turns (so one old attachment does
 * not make a whole chat unusable).
 */
import { badRequest } from './errors.js';

export type Part = { kind: 'text'; text: string } | { kind: 'image'; url: string; param: string };

const UNSUPPORTED_HINT =
  'wxcoze passes text and images (image_url parts) to Coze; send a document as text, or through Open-WebUI knowledge/RAG.';

export function partsOf(content: unknown, param: string, strict: boolean): Part[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ kind: 'text', text: content }];
  if (!Array.isArray(content))
    throw badRequest(`${param} must be a string or an array of content parts`, param, 'invalid_type');
  const out: Part[] = [];
  for (const [j, raw] of content.entries()) {
    const p = `${param}[${j}]`;
    if (typeof raw === 'string') {
      out.push({ kind: 'text', text: raw });
      continue;
    }
    if (!raw || typeof raw !== 'object')
      throw badRequest(`${p} must be a content part object`, p, 'invalid_type');
    const part = raw as Record<string, unknown>;
    switch (part.type) {
      case 'text':
      case 'input_text':
        if (typeof part.text !== 'string')
          throw badRequest(`${p}.text must be a string`, `${p}.text`, 'invalid_type');
        out.push({ kind: 'text', text: part.text });
        break;
      case 'refusal':
        if (typeof part.refusal === 'string') out.push({ kind: 'text', text: part.refusal });
        break;
      case 'image_url': {
        const iu = part.image_url;
        const url =
          typeof iu === 'string'
            ? iu
            : iu && typeof iu === 'object'
              ? (iu as Record<string, unknown>).url
              : undefined;
        if (typeof url !== 'string' || !url)
          throw badRequest(
            `${p}.image_url.url must be a data: or https: URL`,
            `${p}.image_url.url`,
            'invalid_type',
          );
        out.push({ kind: 'image', url, param: `${p}.image_url.url` });
        break;
      }
      default: {
        const type = typeof part.type === 'string' ? part.type : String(part.type);
        if (strict)
          throw badRequest(
            `Content parts of type "${type}" are not supported (${p}). ${UNSUPPORTED_HINT}`,
            p,
            'unsupported_content_type',
          );
        out.push({ kind: 'text', text: `[${type} omitted]` });
      }
    }
  }
  return out;
}

/** Text of the parts, one line per text part; images of older turns become "[image]". */
export function textOf(parts: Part[], imagePlaceholder = '[image]'): string {
  return parts
    .map((p) => (p.kind === 'text' ? p.text : imagePlaceholder))
    .filter((t) => t.trim() !== '')
    .join('\n');
}

/** Blocks clients echo back inline: `<think>…</think>` and friends, `<details type="reasoning">…</details>`. */
const REASONING_TAGS = ['think', 'thinking', 'reasoning'] as const;
const DETAILS_OPEN = /<details\b/gi;
const DETAILS_CLOSE = /<\/details>/gi;
const REASONING_TYPE = /type=["']?reasoning/i;

/**
 * An earlier answer without the reasoning clients echo back inline (docs/protocol.md §openai-history).
 * Linear in the text length, whatever it contains: each scan only moves forward, and a missing
 * closing tag ends that scan at once (no later opening could be closed either). The regexes this
 * replaces backtracked quadratically: 360 KB of `<details ` held the event loop for 12 s.
 */
export function stripReasoning(text: string): string {
  let t = text;
  for (const tag of REASONING_TAGS)
    t = removeBlocks(t, new RegExp(`<${tag}>`, 'gi'), new RegExp(`</${tag}>`, 'gi'), () => true);
  t = removeBlocks(t, DETAILS_OPEN, DETAILS_CLOSE, (openTag) => REASONING_TYPE.test(openTag));
  return t.trim();
}

/**
 * Removes every `open … close` block (shortest, left to right) whose opening tag passes `keep`.
 * An opening that starts with `open` runs to the next `>`; openings nested inside one that failed
 * `keep` are skipped, since their text is a suffix of it.
 */
function removeBlocks(
  text: string,
  open: RegExp,
  close: RegExp,
  wanted: (openTag: string) => boolean,
): string {
  const out: string[] = [];
  let copied = 0;
  let from = 0;
  for (;;) {
    open.lastIndex = from;
    const o = open.exec(text);
    if (!o) break;
    const tagEnd = text.indexOf('>', o.index + o[0].length - 1);
    if (tagEnd < 0) break;
    if (!wanted(text.slice(o.index, tagEnd + 1))) {
      from = tagEnd + 1;
      continue;
    }
    close.lastIndex = tagEnd + 1;
    const c = close.exec(text);
    if (!c) break;
    out.push(text.slice(copied, o.index));
    copied = from = c.index + c[0].length;
  }
  if (copied === 0) return text;
  out.push(text.slice(copied));
  return out.join('');
}
