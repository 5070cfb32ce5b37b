/**
 * JSON reading for Coze payloads. Ids are 19-digit snowflakes that must stay strings
 * (docs/protocol.md §coze-chat). Coze sends them quoted, but a proxy or an older endpoint may not; a bare
 * 19-digit number would silently lose precision in JSON.parse, so any `"…id": <16+ digits>`
 * outside a string literal is quoted before parsing. Escaped quotes (inside JSON-in-a-string
 * content such as function_call payloads) are left alone: those are the caller's to parse.
 */
const BARE_ID = /(?<!\\)("[A-Za-z_]*id"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g;

export function parseCozeJson(text: string): unknown {
  return JSON.parse(text.replace(BARE_ID, '$1"$2"'));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field as a string: numbers are stringified (ids), anything else gives undefined. */
export function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function num(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return 0;
}
