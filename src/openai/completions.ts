/**
 * One `POST /v1/chat/completions`, after auth and schema: who is asking, Open-WebUI task or chat,
 * history and images to Coze, then the answer collected (JSON) or streamed (SSE). A Coze failure
 * before the stream starts is a normal JSON error with its status; after, an error chunk and
 * `[DONE]`. The caller's AbortSignal (client disconnect) aborts the Coze chat, which CozeClient
 * then cancels at Coze.
 */
import { createHash } from 'node:crypto';
import { CozeError } from '../coze/errors.js';
import type { ChatEvent, ChatRequest, Usage } from '../coze/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/types.js';
import { ChunkWriter, completionObject } from './chunks.js';
import { streamErrorPayload, toOpenAiError } from './errors.js';
import { toCozeMessages } from './history.js';
import { TASK_EXTERNAL_ID, type Identity } from './identity.js';
import { loadImage } from './images.js';
import type { CozeModel } from './models.js';
import type { SseStream } from './sse.js';
import { detectTask, localTaskAnswer } from './tasks.js';
import { AnswerTranslator } from './translate.js';

/** What the API needs from Coze; CozeClient provides it. */
export interface OpenAiCozePort {
  stream(req: ChatRequest): AsyncIterable<ChatEvent>;
  uploadFile(filename: string, data: Buffer, contentType: string): Promise<{ id: string }>;
}

export interface CompletionDeps {
  coze: OpenAiCozePort;
  store: Pick<Store, 'resolveUser'>;
  tasks: 'bot' | 'local';
  keepAliveMs: number;
  imageMaxBytes: number;
  /** image_url links may point at private addresses (WXCOZE_ALLOW_PRIVATE_URLS); off by default. */
  allowPrivateUrls?: boolean;
}

export interface CompletionCall {
  model: CozeModel;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  identity: Identity;
  taskHeader?: string;
}

export interface CompletionIo {
  signal: AbortSignal;
  /** Commits the response to an event stream (headers out). */
  openStream(): SseStream;
  log: Logger;
}

const ZERO: Usage = { input: 0, output: 0, total: 0 };
const TIMED_OUT = Symbol('timed out');

/** Returns the JSON body for a non-stream call; a streamed call has been fully written (returns undefined). */
export async function complete(
  deps: CompletionDeps,
  call: CompletionCall,
  io: CompletionIo,
): Promise<Record<string, unknown> | undefined> {
  const task = detectTask(call.messages, call.taskHeader);
  if (task && deps.tasks === 'local') {
    io.log.info({ task: task.kind }, 'openai: background task answered locally');
    const text = localTaskAnswer(task);
    if (!call.stream) return completionObject(call.model.id, text, '', ZERO);
    const cw = new ChunkWriter(call.model.id, call.includeUsage);
    const sse = io.openStream();
    sse.data(cw.role());
    sse.data(cw.content(text));
    finishStream(sse, cw, call.includeUsage, ZERO);
    return undefined;
  }

  // Task requests run as one background user, never as the person: their memory stays untouched.
  const externalId = task ? TASK_EXTERNAL_ID : call.identity.externalId;
  const userId = await deps.store.resolveUser(
    call.identity.channel,
    externalId,
    Date.now(),
    task ? undefined : call.identity.legacyId,
  );
  const upload = async (url: string, param: string): Promise<string> => {
    const img = await loadImage(url, param, {
      maxBytes: deps.imageMaxBytes,
      signal: io.signal,
      allowPrivate: deps.allowPrivateUrls ?? false,
      log: io.log,
    });
    const name = `image-${createHash('sha256').update(img.data).digest('hex').slice(0, 16)}.${img.ext}`;
    return (await deps.coze.uploadFile(name, img.data, img.mime)).id;
  };
  const messages = await toCozeMessages(call.messages, call.model.target, upload);
  const log = io.log.child({ userId, ...(task ? { task: task.kind } : {}) });
  log.debug(
    {
      identity: call.identity.source,
      name: call.identity.name,
      chatId: call.identity.chatId,
      messages: messages.length,
    },
    'openai: asking Coze',
  );
  const events = deps.coze.stream({
    target: call.model.target,
    userId,
    messages,
    autoSaveHistory: false,
    signal: io.signal,
  });
  return call.stream
    ? streamAnswer(events, call, io, log, deps.keepAliveMs)
    : collectAnswer(events, call, log);
}

async function collectAnswer(
  events: AsyncIterable<ChatEvent>,
  call: CompletionCall,
  log: Logger,
): Promise<Record<string, unknown>> {
  const tr = new AnswerTranslator();
  let content = '';
  let reasoning = '';
  for await (const e of events) {
    for (const p of tr.push(e)) {
      if (p.kind === 'content') content += p.text;
      else reasoning += p.text;
    }
  }
  log.info({ stream: false, answerChars: content.length, usage: tr.usage }, 'openai: answered');
  return completionObject(call.model.id, content, reasoning, tr.usage);
}

async function streamAnswer(
  events: AsyncIterable<ChatEvent>,
  call: CompletionCall,
  io: CompletionIo,
  log: Logger,
  keepAliveMs: number,
): Promise<undefined> {
  const it = events[Symbol.asyncIterator]();
  const tr = new AnswerTranslator();
  const cw = new ChunkWriter(call.model.id, call.includeUsage);
  // Wait for Coze to accept the chat so that a refusal (bad token, unpublished bot, quota) is a
  // real HTTP error; but if it stays silent, commit to the stream so keep-alives can flow.
  let next: Promise<IteratorResult<ChatEvent>> = it.next();
  let timer: NodeJS.Timeout | undefined;
  const first = await Promise.race([
    next,
    new Promise<typeof TIMED_OUT>((r) => {
      timer = setTimeout(() => r(TIMED_OUT), keepAliveMs);
    }),
  ]).finally(() => clearTimeout(timer));
  const sse = io.openStream();
  sse.data(cw.role());
  let chars = 0;
  try {
    let r = first === TIMED_OUT ? await next : first;
    while (!r.done) {
      for (const p of tr.push(r.value)) {
        if (p.kind === 'content') {
          chars += p.text.length;
          sse.data(cw.content(p.text));
        } else {
          sse.data(cw.reasoning(p.text));
        }
      }
      if (sse.gone) break;
      next = it.next();
      r = await next;
    }
    if (sse.gone) {
      log.info({ stream: true, answerChars: chars }, 'openai: client left; Coze chat cancelled');
      sse.abandon();
      return undefined;
    }
    finishStream(sse, cw, call.includeUsage, tr.usage);
    log.info({ stream: true, answerChars: chars, usage: tr.usage }, 'openai: answered');
  } catch (err) {
    if (io.signal.aborted || sse.gone) {
      log.info({ stream: true, answerChars: chars }, 'openai: client left; Coze chat cancelled');
      sse.abandon();
      return undefined;
    }
    const e = toOpenAiError(err);
    log.warn(
      {
        err: { kind: err instanceof CozeError ? err.kind : undefined, code: e.code, message: e.message },
        answerChars: chars,
      },
      'openai: Coze failed mid-stream',
    );
    sse.data(streamErrorPayload(err));
    sse.data('[DONE]');
    sse.end();
  } finally {
    // Leaving early (client gone) ends the Coze stream, which cancels the chat at Coze.
    it.return?.(undefined)?.catch(() => {});
  }
  return undefined;
}

function finishStream(sse: SseStream, cw: ChunkWriter, includeUsage: boolean, usage: Usage): void {
  sse.data(cw.finish('stop'));
  if (includeUsage) sse.data(cw.usage(usage));
  sse.data('[DONE]');
  sse.end();
}
