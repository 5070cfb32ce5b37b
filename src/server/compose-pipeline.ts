import type { WxcozeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { VoiceConverter } from '../media/voice.js';
import { createBridge, type Bridge, type PipelineEvents } from '../pipeline/bridge.js';
import type { Coordinator } from '../store/coordination/types.js';
import type { Store } from '../store/types.js';
import { WecomApi } from '../wecom/api.js';
import { cozeClientFor } from './coze-client.js';

/**
 * The pipeline with its adapters: WecomApi and CozeClient on the store and coordinator given.
 * The same wiring runs on the main thread (WXCOZE_PIPELINE_THREAD=off) or in the worker
 * (src/server/pipeline-worker.ts), each with its own store handle.
 */
export function composePipeline(deps: {
  config: WxcozeConfig;
  store: Store;
  coordinator: Coordinator;
  logger: Logger;
  events?: PipelineEvents;
}): { bridge: Bridge; close(): Promise<void> } {
  const { config, store, coordinator, logger, events } = deps;
  // First: a refused private key file throws before anything else is opened.
  const coze = cozeClientFor(
    config,
    coordinator,
    logger,
    events ? (call, code) => events.count('coze_calls', [call, code]) : undefined,
  );
  const wecom = new WecomApi({
    ...(events
      ? { onCall: (api: string, errcode: string) => events.count('wecom_calls', [api, errcode]) }
      : {}),
    baseUrl: config.wecom.apiBase,
    ...(config.wecom.proxy ? { proxy: config.wecom.proxy } : {}),
    corpId: config.wecom.corpId,
    secret: config.wecom.secret,
    logger,
    tokenCache: coordinator.cache,
    coordinator,
  });
  const bridge = createBridge({
    config,
    store,
    coordinator,
    wecom,
    coze,
    voice: VoiceConverter.fromPath(config.pipeline.ffmpeg),
    logger,
    ...(deps.events ? { events: deps.events } : {}),
  });
  return { bridge, close: () => wecom.close() };
}
