/**
 * Coze Open API client: chat turns (bot `/v3/chat` and chatflow `/v1/workflows/chat`) as a
 * stream of typed events, plus the handful of REST calls wxcoze needs (conversations, cancel,
 * files, token/bot checks). Built on undici `request` with a shared keep-alive Agent because
 * this is the hot path: one open stream per customer being answered.
 */
import { Blob } from 'node:buffer';
import type { Dispatcher, FormData } from 'undici';
import { undici } from '../net/undici.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { StaticTokenAuth, type CozeAuth } from './auth.js';
import { buildChatRequest } from './chat-request.js';
import { CozeError } from './errors.js';
import { ChatEventInterpreter } from './events.js';
import { headerOf, readEnvelope, sharedAgent, transportError } from './http.js';
import { isRecord, num, str } from './json.js';
import { SseDecoder } from './sse.js';
import { Watchdog } from './watchdog.js';
import type {
  ChatEvent,
  ChatRequest,
  ChatResult,
  CozeBotInfo,
  CozeClientOptions,
  CozeUser,
  UploadedFile,
} from './types.js';

/** How long a stream may stay open after `done` before we close it ourselves. */
const DONE_GRACE_MS = 2_000;

interface CallOptions {
  query?: Record<string, string>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
  accept?: string;
  /** The most of an answer read (more: the call fails). */
  maxBytes?: number;
}

/** A JSON answer larger than this is not Coze's (bot info and file uploads answer a few KB). */
const MAX_JSON_BYTES = 4 * 1024 * 1024;
/** 1024 bytes of text speak for well under a minute: 24 kHz 16-bit WAV is 48 KB a second. */
const MAX_SPEECH_BYTES = 8 * 1024 * 1024;

/** The body, refused past `max` bytes (the stream is destroyed, the connection not reused). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number, what: string) {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > max) {
      body.destroy();
      throw new CozeError({ kind: 'other', msg: `${what}: the answer is over ${max} bytes` });
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Whether a refusal may be Coze no longer accepting the token (4100, 4101, HTTP 401): worth one new token. */
function refusedToken(err: unknown): err is CozeError {
  return (
    err instanceof CozeError &&
    err.oauthError === undefined &&
    (err.kind === 'auth' || err.kind === 'permission')
  );
}

const refusalOf = (err: CozeError): 'auth' | 'permission' =>
  err.kind === 'permission' ? 'permission' : 'auth';

export class CozeClient {
  private readonly base: string;
  // A true private field: the token never shows up when someone logs or inspects the client.
  readonly #auth: CozeAuth;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly onCall: ((call: string, code: string) => void) | undefined;

  constructor(opts: CozeClientOptions) {
    this.onCall = opts.onCall;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.#auth = opts.auth ?? new StaticTokenAuth(opts.token ?? '');
    this.log = opts.logger ?? silentLogger();
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    // The agent (and undici) come at the first call: see src/net/undici.ts.
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  }

  /**
   * One chat turn as events. Throws CozeError before yielding anything for pre-stream errors
   * (auth, 4015, 4016, gateway pages), and while streaming for chat.failed, `error` events,
   * silence longer than timeoutMs (kind 'timeout') or a stream cut short (kind 'network').
   * When it gives up on a chat that Coze already started (timeout, caller abort), it cancels
   * that chat in the background so the conversation is not left blocked (4016).
   * An abort through `req.signal` rejects with the signal's reason.
   */
  async *stream(req: ChatRequest): AsyncGenerator<ChatEvent> {
    const http = buildChatRequest(req);
    const userSignal = req.signal;
    if (userSignal?.aborted) throw abortReason(userSignal);

    const ac = new AbortController();
    const onUserAbort = () => ac.abort(userSignal?.reason);
    userSignal?.addEventListener('abort', onUserAbort, { once: true });
    const dog = new Watchdog(this.timeoutMs, () => ac.abort(new Error('coze inactivity timeout')));
    let interp: ChatEventInterpreter | undefined;
    let res: Dispatcher.ResponseData | undefined;
    let clean = false;
    let failure: unknown;

    const fail = (err: unknown, what: string): unknown => {
      if (err instanceof CozeError) return this.tag(err, interp);
      if (userSignal?.aborted) return abortReason(userSignal);
      if (dog.fired) {
        return this.tag(
          new CozeError({
            kind: 'timeout',
            msg: `no data from Coze for ${this.timeoutMs} ms (${what})`,
            logid: interp?.logid,
            cause: err,
          }),
          interp,
        );
      }
      return this.tag(transportError(err, what), interp);
    };

    try {
      dog.arm();
      let logid: string | undefined;
      // A token Coze refuses before the stream starts gets one new token and one more try: nothing was
      // said yet, so the chat is made as if the first request had never been.
      for (let attempt = 1; ; attempt++) {
        let token: string;
        try {
          token = await this.#auth.token();
          const { request } = await undici();
          res = await request(this.url(http.path, http.query), {
            method: 'POST',
            headers: this.headers(token, true, 'text/event-stream'),
            body: JSON.stringify(http.body),
            dispatcher: await sharedAgent(this.connectTimeoutMs),
            signal: ac.signal,
          });
        } catch (err) {
          throw fail(err, `POST ${http.path}`);
        }
        logid = headerOf(res.headers, 'x-tt-logid');
        this.log.debug({ logid, path: http.path, status: res.statusCode }, 'coze: chat response');
        const contentType = headerOf(res.headers, 'content-type') ?? '';
        if (res.statusCode === 200 && contentType.includes('event-stream')) break;
        // Pre-stream errors are plain JSON (or a gateway's HTML), never SSE (docs/protocol.md §coze-pitfalls 3).
        let text: string;
        try {
          text = await res.body.text();
        } catch (err) {
          throw fail(err, `reading ${http.path} error body`);
        }
        try {
          readEnvelope(res.statusCode, text, logid);
          throw new CozeError({
            kind: 'other',
            msg: `expected an event stream from ${http.path}, got ${contentType || 'no content type'}`,
            httpStatus: res.statusCode,
            logid,
          });
        } catch (err) {
          if (attempt === 1 && refusedToken(err) && (await this.#auth.invalidate(token, refusalOf(err)))) {
            this.log.info(
              { logid, code: err.code },
              'coze refused the access token; asking again with a new one',
            );
            dog.arm();
            continue;
          }
          throw err;
        }
      }

      interp = new ChatEventInterpreter(this.log, logid);
      const decoder = new SseDecoder();
      let lingered = false;
      try {
        for await (const chunk of res.body) {
          dog.disarm();
          for (const sse of decoder.push(chunk as Buffer)) {
            for (const ev of interp.handle(sse)) {
              // One chunk can hold many events: stop yielding as soon as the caller aborts.
              if (userSignal?.aborted) throw abortReason(userSignal);
              yield ev;
            }
          }
          // Keep reading after `done`: draining to the end lets the socket go back to the pool
          // (a new TLS handshake per chat is what we avoid). A server that lingers after `done`
          // only gets a short grace period.
          dog.arm(interp.done && interp.finished ? Math.min(this.timeoutMs, DONE_GRACE_MS) : undefined);
        }
      } catch (err) {
        if (!(interp.done && interp.finished && dog.fired)) throw fail(err, `reading ${http.path} stream`);
        lingered = true;
      }
      if (lingered) this.log.debug({ logid }, 'coze: stream stayed open after done; closed it');
      dog.disarm();
      for (const sse of decoder.end()) {
        for (const ev of interp.handle(sse)) yield ev;
      }
      if (!interp.finished) {
        throw this.tag(
          new CozeError({
            kind: 'network',
            msg: `stream from ${http.path} ended before the chat completed`,
            logid,
          }),
          interp,
        );
      }
      clean = true;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // One count per chat: its outcome (a consumer that stopped early or aborted: "aborted").
      this.onCall?.(callName(http.path), clean ? '0' : codeOfOutcome(failure));
      dog.disarm();
      userSignal?.removeEventListener('abort', onUserAbort);
      if (!clean) {
        res?.body.destroy();
        // Timeout or abort (or the consumer stopping early) after Coze started the chat: free the conversation.
        if (interp && !interp.ended && interp.chatId && interp.conversationId) {
          const { chatId, conversationId } = interp;
          this.cancelChat(conversationId, chatId).catch((err: unknown) => {
            this.log.debug({ err, chatId }, 'coze: background cancel failed');
          });
        }
      }
    }
  }

  /** One chat turn, collected. `onEvent` sees every event as it arrives (for live typing indicators). */
  async chat(req: ChatRequest & { onEvent?: (e: ChatEvent) => void }): Promise<ChatResult> {
    // Answers keyed by message id, in the order they started; a completed message's content
    // replaces its deltas, and deltas stand in if Coze never sent the completion.
    const answers = new Map<string, { content: string; reasoning: string; done: boolean }>();
    const followUps: string[] = [];
    let chatId = '';
    let conversationId = req.conversationId ?? '';
    let usage = { input: 0, output: 0, total: 0 };
    let requiresAction: boolean | undefined;
    const slot = (id: string) => {
      let s = answers.get(id);
      if (!s) answers.set(id, (s = { content: '', reasoning: '', done: false }));
      return s;
    };
    for await (const e of this.stream(req)) {
      req.onEvent?.(e);
      switch (e.type) {
        case 'chat.created':
          chatId = e.chatId;
          conversationId = e.conversationId || conversationId;
          break;
        case 'delta': {
          const s = slot(e.messageId);
          if (!s.done) {
            s.content += e.content;
            s.reasoning += e.reasoning;
          }
          break;
        }
        case 'answer': {
          const s = slot(e.messageId);
          s.content = e.content;
          if (e.reasoning) s.reasoning = e.reasoning;
          s.done = true;
          break;
        }
        case 'follow_up':
          followUps.push(e.content);
          break;
        case 'completed':
          usage = e.usage;
          if (e.requiresAction) requiresAction = true;
          break;
      }
    }
    const list = [...answers.values()];
    const texts = list.map((s) => s.content).filter((t) => t.trim() !== '');
    const result: ChatResult = {
      text: texts.join('\n\n'),
      answers: texts,
      reasoning: list
        .map((s) => s.reasoning)
        .filter((t) => t.trim() !== '')
        .join('\n\n'),
      followUps,
      chatId,
      conversationId,
      usage,
    };
    if (requiresAction) result.requiresAction = true;
    return result;
  }

  /** A new empty conversation (set botId so it shows in Coze's conversation list). */
  async createConversation(botId?: string): Promise<string> {
    const body = await this.call('POST', '/v1/conversation/create', { json: botId ? { bot_id: botId } : {} });
    const id = isRecord(body.data) ? str(body.data.id) : undefined;
    if (!id) throw new CozeError({ kind: 'other', msg: 'conversation/create returned no id' });
    return id;
  }

  /** Stop a running chat. A chat that already ended (4104) is not an error: the goal is met. */
  async cancelChat(conversationId: string, chatId: string): Promise<void> {
    try {
      await this.call('POST', '/v3/chat/cancel', {
        json: { conversation_id: conversationId, chat_id: chatId },
      });
    } catch (err) {
      if (err instanceof CozeError && err.code === 4104) return;
      throw err;
    }
  }

  /** Upload a file for object_string messages (multipart part `file`, docs/protocol.md §coze-files). */
  async uploadFile(filename: string, data: Buffer, contentType: string): Promise<UploadedFile> {
    const form = new (await undici()).FormData();
    form.append('file', new Blob([data], { type: contentType }), filename);
    const body = await this.call('POST', '/v1/files/upload', { form });
    const d = isRecord(body.data) ? body.data : {};
    const id = str(d.id);
    if (!id) throw new CozeError({ kind: 'other', msg: 'files/upload returned no id' });
    return { id, bytes: num(d.bytes) || data.length, fileName: str(d.file_name) ?? filename };
  }

  /** Speech to text (POST /v1/audio/transcriptions, one part `file`; Coze takes ogg, mp3 and wav). */
  async transcribe(filename: string, data: Buffer, contentType: string): Promise<string> {
    const form = new (await undici()).FormData();
    form.append('file', new Blob([data], { type: contentType }), filename);
    const body = await this.call('POST', '/v1/audio/transcriptions', { form });
    const d = isRecord(body.data) ? body.data : {};
    return str(d.text) ?? '';
  }

  /**
   * Text to speech (POST /v1/audio/speech; docs/protocol.md §coze-speech): `input` at most 1024 bytes
   * of UTF-8, `voice_id` one of the account's voices. The answer is the audio itself (here WAV, which
   * ffmpeg reads without guessing); a refusal is the usual JSON envelope.
   */
  async speech(input: string, voiceId: string, signal?: AbortSignal): Promise<Buffer> {
    const what = 'POST /v1/audio/speech';
    return this.exchange(
      'POST',
      '/v1/audio/speech',
      {
        json: { input, voice_id: voiceId, response_format: 'wav' },
        accept: 'audio/wav, application/json',
        maxBytes: MAX_SPEECH_BYTES,
        ...(signal ? { signal } : {}),
      },
      (r) => {
        if (r.status !== 200 || /json/i.test(r.contentType) || r.body.subarray(0, 1).toString() === '{') {
          readEnvelope(r.status, r.body.toString('utf8'), r.logid); // throws Coze's refusal
          throw new CozeError({ kind: 'other', msg: `${what} returned no audio`, httpStatus: r.status });
        }
        return r.body;
      },
    );
  }

  /** The token's user: the cheapest "is this token valid for this region" probe (docs/protocol.md §coze-checks). */
  async getMe(opts: { signal?: AbortSignal } = {}): Promise<CozeUser> {
    const body = await this.call('GET', '/v1/users/me', opts.signal ? { signal: opts.signal } : {});
    const d = isRecord(body.data) ? body.data : {};
    const user: CozeUser = { user_id: str(d.user_id) ?? '' };
    for (const k of ['user_name', 'nick_name', 'avatar_url'] as const) {
      const v = str(d[k]);
      if (v !== undefined) user[k] = v;
    }
    return user;
  }

  /** Bot metadata (needs the getMetadata permission; 4101 here does not mean chat fails). */
  async getBot(botId: string): Promise<CozeBotInfo> {
    const body = await this.call('GET', `/v1/bots/${encodeURIComponent(botId)}`);
    const d = isRecord(body.data) ? body.data : {};
    const info: CozeBotInfo = { bot_id: str(d.bot_id) ?? botId, name: str(d.name) ?? '' };
    const desc = str(d.description);
    if (desc !== undefined) info.description = desc;
    return info;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private url(path: string, query?: Record<string, string>): string {
    const qs = query && Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
    return `${this.base}${path}${qs}`;
  }

  private headers(token: string, json: boolean, accept = 'application/json'): Record<string, string> {
    const h: Record<string, string> = {
      authorization: `Bearer ${token}`,
      accept,
      'user-agent': 'wxcoze',
    };
    if (json) h['content-type'] = 'application/json';
    return h;
  }

  /** A non-stream call: returns the whole JSON body (envelopes differ per endpoint) or throws CozeError. */
  private call(
    method: 'GET' | 'POST',
    path: string,
    opts: CallOptions = {},
  ): Promise<Record<string, unknown>> {
    return this.exchange(method, path, opts, (r) => readEnvelope(r.status, r.body.toString('utf8'), r.logid));
  }

  /**
   * One request with the current token, its answer read (up to `opts.maxBytes`) and handed to `read`;
   * a token `read` finds refused (it throws CozeError 4100/4101) gets one new token and one more try.
   */
  private async exchange<T>(
    method: 'GET' | 'POST',
    path: string,
    opts: CallOptions,
    read: (r: { status: number; body: Buffer; contentType: string; logid: string | undefined }) => T,
  ): Promise<T> {
    const what = `${method} ${path}`;
    for (let attempt = 1; ; attempt++) {
      let status: number;
      let body: Buffer;
      let contentType: string;
      let logid: string | undefined;
      let token: string;
      try {
        token = await this.#auth.token();
        const { request } = await undici();
        const res = await request(this.url(path, opts.query), {
          method,
          headers: this.headers(token, opts.json !== undefined, opts.accept),
          body: opts.form ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined),
          dispatcher: await sharedAgent(this.connectTimeoutMs),
          signal: opts.signal,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
        status = res.statusCode;
        logid = headerOf(res.headers, 'x-tt-logid');
        contentType = headerOf(res.headers, 'content-type') ?? '';
        body = await readCapped(res.body, opts.maxBytes ?? MAX_JSON_BYTES, what);
      } catch (err) {
        const failed = err instanceof CozeError ? err : transportError(err, what);
        this.onCall?.(callName(path), codeOfOutcome(failed));
        throw failed;
      }
      this.log.debug({ logid, path, status }, 'coze: call');
      try {
        const value = read({ status, body, contentType, logid });
        this.onCall?.(callName(path), '0');
        return value;
      } catch (err) {
        this.onCall?.(callName(path), codeOfOutcome(err));
        // As for chats: a refused token gets one new token and one more try.
        if (attempt === 1 && refusedToken(err) && (await this.#auth.invalidate(token, refusalOf(err)))) {
          this.log.info(
            { logid, path, code: err.code },
            'coze refused the access token; asking again with a new one',
          );
          continue;
        }
        throw err;
      }
    }
  }

  /** Attach the chat/conversation ids to an error so the caller can cancel or log them. */
  private tag(err: CozeError, interp: ChatEventInterpreter | undefined): CozeError {
    if (interp?.chatId && !err.chatId) err.chatId = interp.chatId;
    if (interp?.conversationId && !err.conversationId) err.conversationId = interp.conversationId;
    return err;
  }
}

/** The endpoint as a metric label: the path without ids (`/v1/bots/<id>` → `v1/bots`), `/v3/chat` → chat. */
function callName(path: string): string {
  if (path === '/v3/chat') return 'chat';
  if (path === '/v1/workflows/chat') return 'workflow_chat';
  return path.startsWith('/v1/bots/') ? 'v1/bots' : path.replace(/^\//, '');
}

/** A call's outcome as a metric label: Coze's code, else http_<status>, else the failure's kind. */
export function codeOfOutcome(err: unknown): string {
  if (err instanceof CozeError) {
    if (err.code) return String(err.code);
    if (err.httpStatus) return `http_${err.httpStatus}`;
    return err.kind;
  }
  return 'aborted';
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}
