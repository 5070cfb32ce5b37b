import type { ServiceConfig } from './service.js';

/** The resolved configuration every part of wxcoze reads. Produced only by config/load.ts. */
export interface WxcozeConfig {
  wecom: {
    corpId: string;
    secret: string;
    token: string;
    encodingAesKey: string;
    apiBase: string;
    /** HTTP proxy for WeCom API calls (WXCOZE_WECOM_PROXY), for a fixed egress address. A secret (credentials). */
    proxy?: string;
    /** The kf account picked in `wxcoze init` (WECOM_OPEN_KFID); checked by `wxcoze doctor`. */
    openKfId?: string;
  };
  coze: {
    /** The personal or service access token (COZE_API_TOKEN); '' when the OAuth app is used instead. */
    apiToken: string;
    /** The OAuth service app (COZE_JWT_OAUTH_*), when it is used instead of COZE_API_TOKEN. */
    oauth?: { appId: string; keyId: string; privateKeyFile: string };
    /**
     * When COZE_API_TOKEN expires, in ms since the epoch (WXCOZE_COZE_TOKEN_EXPIRES_AT, as the owner
     * recorded it; a bare date is the start of that day in WXCOZE_UTC_OFFSET). Set only while the
     * token is what wxcoze uses: doctor and the alerts warn a week before.
     */
    tokenExpiresAt?: number;
    apiBase: string;
    /** bot mode when botId is set; chatflow mode when workflowId (+ appId) is set instead. */
    botId?: string;
    workflowId?: string;
    appId?: string;
    /** Per-event inactivity timeout of a Coze stream, ms. */
    timeoutMs: number;
    /** How many attempts one customer message gets at Coze before the apology. */
    maxAttempts: number;
  };
  server: {
    host: string;
    port: number;
    /** Largest callback body accepted, bytes. */
    bodyLimit: number;
    /** Let image URLs from Coze answers and OpenAI requests point at private addresses (off: SSRF guard). */
    allowPrivateUrls: boolean;
    /** Callbacks whose signed timestamp is further than this from our clock are refused (replays), s. */
    callbackMaxSkewS: number;
    /** Longest wait for a request's headers, ms. */
    headersTimeoutMs: number;
    /** Longest wait for a whole request (headers and body), ms. */
    requestTimeoutMs: number;
    /** Requests one client may have still arriving at once, and connections one remote address may hold. */
    maxPendingPerClient: number;
    /** /readyz: longest wait for the store's and the cache's answer, ms. */
    readyTimeoutMs: number;
    /** Bearer token that lets non-loopback clients read /metrics (unset: loopback only). */
    metricsToken?: string;
  };
  dataDir: string;
  /** The operator console (src/console/). */
  console: {
    /** Where it is served, e.g. `/admin`. */
    path: string;
    /** A session unused this long ends, ms. */
    sessionIdleMs: number;
    /** A session ends this long after it began, ms. */
    sessionMaxMs: number;
    /** Failed logins allowed per client address / per operator name in 15 minutes. */
    loginLimits: { perIp: number; perName: number };
  };
  /** Public domain Caddy serves (WXCOZE_DOMAIN): the callback URL is https://<domain>/wechat/hook. */
  domain?: string;
  /** Unset: the embedded SQLite store and in-process locks. */
  store: {
    databaseUrl?: string;
    redisUrl?: string;
    /** Prefix of every Redis key, so two deployments can share one Redis. */
    redisPrefix: string;
  };
  /** The OpenAI-compatible API keys, without their `:trust-headers` marks (see `openai.keys`). */
  apiKeys: string[];
  /** The OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`). Off while `keys` is empty. */
  openai: {
    keys: ApiKey[];
    /** The model id clients send (an ASCII slug) and the readable name `/v1/models` shows. */
    modelId: string;
    modelName: string;
    /** Open-WebUI background tasks (`### Task:`): asked of the bot as a separate background user, or answered locally. */
    tasks: 'bot' | 'local';
    /** Silence after which a `: keep-alive` comment is written into a stream, ms. */
    keepAliveMs: number;
    /** Largest chat request body accepted (images come base64-encoded), bytes. */
    bodyLimit: number;
    /** Requests per minute on the API, per key and per client address; 0 = no limit. */
    rateLimit: { perKey: number; perIp: number };
    /** Browser origins allowed to call /v1 directly (CORS); empty = CORS off. */
    corsOrigins: string[];
  };
  pipeline: {
    /** Customers answered in parallel by one process. */
    concurrency: number;
    /** The pipeline runs in a worker thread (true) or on the HTTP server's thread. */
    thread: boolean;
    /** How many nice steps below the HTTP thread the pipeline's worker thread runs (0: the same). */
    niceness: number;
    /** How long a worker may hold a message before another may take it, ms. */
    leaseMs: number;
    /** How long an instance may miss its heartbeat before its messages are taken over, ms. */
    takeoverMs: number;
    /** This instance's identity across restarts; unset: `<hostname>:<port>`. */
    instanceId?: string;
    apologyText: string;
    unsupportedText: string;
    /** Max parts one answer may be split into (WeCom allows 5 messages per customer message). */
    maxParts: number;
    /** The ffmpeg program voice messages are converted with (WXCOZE_FFMPEG). */
    ffmpeg: string;
    /** First backoff step of every retry (Coze, WeCom sends, pulls); doubles per attempt. */
    retryBaseMs: number;
    /** An account with no pull for this long is pulled anyway (lost callbacks), ms; 0 = off. */
    idlePullMs: number;
  };
  /** Alerts to a group robot or JSON webhook (src/ops/alerts/); off while `webhook` is unset. */
  alerts: AlertsConfig;
  /** The daily backup and the retention erase (src/ops/maintenance/). */
  maintenance: MaintenanceConfig;
  /** Customer-service behaviour: welcome, handoff, several accounts, notices. */
  service: ServiceConfig;
  logLevel: string;
  /** The log file's size-based rotation (src/log/rotating-file.ts). */
  logRotation: { maxBytes: number; files: number };
}

export interface MaintenanceConfig {
  /** The local hour (in utcOffsetMin's time) from which the daily jobs run. */
  backupHour: number;
  /** Daily backups kept; 0: no daily backup. */
  backupKeep: number;
  /** Where backups go (absolute). */
  backupDir: string;
  /** Days a message keeps its content; 0: forever. */
  retentionDays: number;
  /** The business's offset from UTC, minutes (WXCOZE_UTC_OFFSET): what "4 o'clock" means. */
  utcOffsetMin: number;
}

export interface AlertsConfig {
  /** The webhook URL (a secret: it carries the robot's key). Unset: alerts are off. */
  webhook?: string;
  /** How the alert is written: a WeCom group robot text message, or a JSON object. */
  format: 'wecom' | 'json';
  /** How often each instance evaluates the conditions, ms. */
  checkMs: number;
  /** Coze unreachable or failing this long before the alert, ms. */
  cozeDownMs: number;
  /** The oldest unanswered message this old before the alert, ms. */
  pendingMs: number;
  /** Messages failed for good within the failure window before the alert. */
  failedMessages: number;
  /** A customer waiting for the console, nobody looking, this long before the alert, ms. */
  handoffMs: number;
  /** A publicly trusted certificate this close to its end raises the alert, ms. */
  certMs: number;
  /** The Coze token this close to its end raises the alert, ms. */
  tokenMs: number;
  /** Percent of the data directory's disk used that raises the alert. */
  diskPercent: number;
}

/** One key of the OpenAI-compatible API. */
export interface ApiKey {
  key: string;
  /** Whether requests with this key may name their user in Open-WebUI's forwarded user headers. */
  trustHeaders: boolean;
  /**
   * Keys of one tenant (`key@shop`) share their users: the same `user` sent with either is one
   * person. A key without a tenant is a tenant of its own.
   */
  tenant?: string;
}

export interface ConfigProblem {
  /** Canonical variable name, e.g. WECOM_ENCODING_AES_KEY. */
  key: string;
  problem: string;
  fix: string;
}
