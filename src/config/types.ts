/** The resolved configuration every part of wxcoze reads. Produced only by config/load.ts. */
export interface WxcozeConfig {
  wecom: {
    corpId: string;
    secret: string;
    token: string;
    encodingAesKey: string;
    apiBase: string;
  };
  coze: {
    apiToken: string;
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
  };
  dataDir: string;
  apiKeys: string[];
  pipeline: {
    /** Customers answered in parallel by one process. */
    concurrency: number;
    /** How long a worker may hold a message before another may take it, ms. */
    leaseMs: number;
    apologyText: string;
    unsupportedText: string;
    /** Max parts one answer may be split into (WeCom allows 5 messages per customer message). */
    maxParts: number;
  };
  logLevel: string;
}

export interface ConfigProblem {
  /** Canonical variable name, e.g. WECOM_ENCODING_AES_KEY. */
  key: string;
  problem: string;
  fix: string;
}
