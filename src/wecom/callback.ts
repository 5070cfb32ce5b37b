/**
 * Parsing of WeCom callback XML (docs/protocol.md §callback-push, §kf-callback) with fast-xml-parser — never regex, because CDATA,
 * whitespace between elements and entity escapes all occur in real traffic.
 * Two layers: the outer envelope (Encrypt is signed and decrypted by crypto.ts) and the decrypted event.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { CallbackEvent } from './types.js';

export class CallbackParseError extends Error {
  override name = 'CallbackParseError';
  constructor(readonly reason: string) {
    super(`wecom callback: ${reason}`);
  }
}

/** Elements that may repeat; declared so one occurrence still comes back as an array. */
const REPEATABLE = new Set(['AuthAddOpenKfId', 'AuthDelOpenKfId']);

const parser = new XMLParser({
  // Keep every value a string: corp ids, msg ids and tokens must never be coerced to numbers
  // (MsgId 4561255354251345929 exceeds 2^53).
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreAttributes: true,
  trimValues: true,
  // Attribute-free documents from WeCom never need entity *definitions*; see the DOCTYPE guard below.
  processEntities: true,
  isArray: (name) => REPEATABLE.has(name),
});

type XmlRecord = Record<string, unknown>;

/** Validates and parses `<xml>…</xml>`, returning its children. */
function parseRoot(xml: string): XmlRecord {
  if (typeof xml !== 'string' || xml.trim() === '') throw new CallbackParseError('empty body');
  // WeCom never sends a DOCTYPE; refusing it removes any entity-expansion attack surface.
  if (/<!DOCTYPE/i.test(xml)) throw new CallbackParseError('DOCTYPE not allowed');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new CallbackParseError(`malformed XML (${valid.err.msg})`);
  let doc: XmlRecord;
  try {
    doc = parser.parse(xml) as XmlRecord;
  } catch (err) {
    throw new CallbackParseError(`malformed XML (${(err as Error).message})`);
  }
  const root = doc.xml;
  if (root === undefined) throw new CallbackParseError('missing <xml> root');
  // `<xml></xml>` parses to '' — treat it as an element with no children.
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return {};
  return root as XmlRecord;
}

/** A leaf as a string; an empty element (or `<![CDATA[]]>`) is ''. Non-leaf/missing → undefined. */
function text(node: XmlRecord, name: string): string | undefined {
  const v = node[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return text({ [name]: v[0] as unknown }, name);
  if (typeof v === 'object')
    return (v as XmlRecord)['#text'] === undefined ? '' : String((v as XmlRecord)['#text']);
  return String(v);
}

function texts(node: XmlRecord, name: string): string[] {
  const v = node[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((item) => text({ x: item }, 'x') ?? '').filter((s) => s !== '');
}

function unixSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** The POSTed envelope: `<xml><ToUserName/><Encrypt/><AgentID/></xml>`. Only Encrypt is required. */
export function parseEnvelope(xml: string): { toUserName?: string; encrypt: string; agentId?: string } {
  const root = parseRoot(xml);
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
  const root = parseRoot(xml);
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
