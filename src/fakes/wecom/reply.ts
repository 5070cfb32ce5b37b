/** WeCom reply shapes: always HTTP 200 + errcode/errmsg (docs/protocol.md §wecom-http), with errmsg text that mimics the real one. */
import { describeErrcode } from '../../wecom/errors.js';
import { alnum } from './ids.js';

export interface WecomJson {
  errcode: number;
  errmsg: string;
  [k: string]: unknown;
}

export function ok(extra: Record<string, unknown> = {}): WecomJson {
  return { errcode: 0, errmsg: 'ok', ...extra };
}

/** Real errmsgs carry a hint id and a lookup URL; clients must branch on errcode, never on this text. */
export function fail(errcode: number, detail?: string): WecomJson {
  const text = detail ?? describeErrcode(errcode);
  return {
    errcode,
    errmsg: `${text}, hint: [${Date.now()}${alnum(8, '0123456789')}], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=${errcode}`,
  };
}

/** Marker for a body that was not valid JSON (WeCom answers 47001 rather than an HTTP 400). */
export const INVALID_JSON = Symbol('invalid-json');

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
