/**
 * Parsing of WeCom callback XML (docs/protocol.md §callback-push, §kf-callback) with saxes, a strict
 * (well-formedness-checking) streaming XML parser — never regex, because CDATA, whitespace between elements
 * and entity escapes all occur in real traffic. Two layers: the outer envelope (Encrypt is signed and
 * decrypted by crypto.ts) and the decrypted event; both are `<xml>` with leaf children, so only the root's
 * children are collected. saxes was chosen over fast-xml-parser (validate + parse: ~33 µs and ~40 KB of
 * garbage per callback, numeric entities left undecoded) by measurement: see bench/RESULTS.md.
 * Measured again for issue 12 (envelope + event, CPU µs per callback, 20,000 of each, Node 20):
 * saxes 7.8, htmlparser2 (xmlMode) 6.9, txml 3.2, ltx 11.7, @rgrove/parse-xml 10.3, fast-xml-parser 28.8.
 * Only saxes and @rgrove/parse-xml check well-formedness; txml and htmlparser2 accept unclosed or
 * mismatched tags (and txml decodes no entities), and the 1–5 µs they would save is under a twentieth
 * of a callback's cost in the server, where the socket write and garbage collection dominate.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { CallbackEvent } from './types.js';

export class CallbackParseError extends Error {
  override name = 'CallbackParseError';
  constructor(readonly reason: string) {
    super(`wecom callback: ${reason}`);
  }
}

/**
 * WeCom's events nest a few levels at most (an app event's `<SendPicsInfo><PicList><item>`); anything deeper
 * is refused at the first element past the cap, so a body of 100,000 nested tags costs microseconds.
 */
const MAX_DEPTH = 16;

/** The root's leaf children: name → trimmed texts in document order (elements may repeat). */
type Leaves = Map<string, string[]>;

/**
 * One reusable parser: parsing is synchronous, so one document at a time. saxes resets itself after a
 * document that ends well; after an error its state is unknown, so it is replaced.
 */
class RootReader {
  private parser = this.newParser();
  private depth = 0;
  private rootName = '';
  private leaves: Leaves = new Map();
  private leafName = '';
  private leafText = '';

  private newParser(): SaxesParser {
    const p = new SaxesParser({ xmlns: false, position: false });
    // WeCom never sends a DOCTYPE; refusing it removes any entity-definition attack surface (saxes itself
    // never expands entities a DTD declares: they are "undefined entity" errors).
    p.on('doctype', () => p.fail('DOCTYPE not allowed'));
    p.on('opentag', (tag: SaxesTagPlain) => {
      this.depth++;
      if (this.depth > MAX_DEPTH) p.fail(`nested deeper than ${MAX_DEPTH} elements`);
      if (this.depth === 1) this.rootName = tag.name;
      else if (this.depth === 2) {
        this.leafName = tag.name;
        this.leafText = '';
      }
    });
    const onText = (t: string) => {
      if (this.depth === 2) this.leafText += t;
    };
    p.on('text', onText);
    p.on('cdata', onText);
    p.on('closetag', () => {
      if (this.depth === 2) {
        const list = this.leaves.get(this.leafName);
        const value = this.leafText.trim();
        if (list) list.push(value);
        else this.leaves.set(this.leafName, [value]);
      }
      this.depth--;
    });
    return p;
  }

  /** Validates and parses `<xml>…</xml>`, returning its children's texts. */
  read(xml: string): Leaves {
    if (typeof xml !== 'string' || xml.trim() === '') throw new CallbackParseError('empty body');
    this.depth = 0;
    this.rootName = '';
    const leaves: Leaves = (this.leaves = new Map<string, string[]>());
    try {
      this.parser.write(xml).close();
    } catch (err) {
      this.parser = this.newParser();
      const msg = (err as Error).message;
      throw new CallbackParseError(
        msg.includes('DOCTYPE') ? 'DOCTYPE not allowed' : `malformed XML (${msg})`,
      );
    }
    if (this.rootName !== 'xml') throw new CallbackParseError('missing <xml> root');
    return leaves;
  }
}

const reader = new RootReader();

/** A leaf as a string; an empty element (or `<![CDATA[]]>`) is ''. Missing → undefined. */
function text(leaves: Leaves, name: string): string | undefined {
  return leaves.get(name)?.[0];
}

function texts(leaves: Leaves, name: string): string[] {
  return (leaves.get(name) ?? []).filter((s) => s !== '');
}

function unixSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The POSTed envelope: `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. Only Encrypt is required. */
export function parseEnvelope(xml: string): { toUserName?: string; encrypt: string; agentId?: string } {
  const root = reader.read(xml);
  const encrypt = text(root, 'Encrypt');
  if (!encrypt) throw new CallbackParseError('missing Encrypt');
  const toUserName = text(root, 'ToUserName');
  const agentId = text(root, 'AgentID');
  return {
    encrypt,
    ...(toUserName ? { toUserName } : {}),
    ...(agentId ? { agentId } : {}),
  };
}

/**
 * The decrypted event. Ordinary app messages/events arrive on the same URL (docs/protocol.md §kf-callback), so anything
 * unrecognised becomes `other` instead of an error — answering non-200 would only trigger WeCom retries.
 */
export function parseEvent(xml: string): CallbackEvent {
  const root = reader.read(xml);
  const msgType = text(root, 'MsgType') ?? '';
  const event = text(root, 'Event');
  const createTime = unixSeconds(text(root, 'CreateTime'));
  const toUserName = text(root, 'ToUserName');

  if (msgType === 'event' && event === 'kf_msg_or_event') {
    const token = text(root, 'Token');
    const openKfId = text(root, 'OpenKfId');
    if (!token) throw new CallbackParseError('kf_msg_or_event without Token');
    if (!openKfId) throw new CallbackParseError('kf_msg_or_event without OpenKfId');
    return {
      kind: 'kf_msg_or_event',
      token,
      openKfId,
      createTime: createTime ?? 0,
      toUserName: toUserName ?? '',
    };
  }
  if (msgType === 'event' && event === 'kf_account_auth_change') {
    return {
      kind: 'kf_account_auth_change',
      added: texts(root, 'AuthAddOpenKfId'),
      removed: texts(root, 'AuthDelOpenKfId'),
      createTime: createTime ?? 0,
      toUserName: toUserName ?? '',
    };
  }
  return {
    kind: 'other',
    msgType,
    ...(event !== undefined ? { event } : {}),
    ...(createTime !== undefined ? { createTime } : {}),
    ...(toUserName !== undefined ? { toUserName } : {}),
  };
}
