// Types for @killtoken/sdk (contract Path 4). Field names are the gateway's, as documented in its README.

export type ProviderName =
  | "openai" | "anthropic" | "gemini" | "mistral" | "deepseek" | "openrouter" | "together" | "perplexity"
  | "xai" | "azure_openai" | "openai_compatible" | "aws_bedrock" | "google_vertex";

export type CacheMode = "bypass" | "read_only" | "write_only" | "read_write";
export type OptimizationMode = "measure_only" | "safe" | "balanced" | "aggressive";

export interface ChatMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | Array<Record<string, unknown>> | null;
  [field: string]: unknown;
}

export interface ChatRequest {
  /** Without it (and without a template) the gateway routes by the model's name. */
  provider?: ProviderName;
  model: string;
  messages: ChatMessage[];
  metadata?: { feature?: string; [key: string]: unknown };
  cachePolicy?: { exactCache?: CacheMode; ttlSeconds?: number };
  idempotencyKey?: string;
  optimizationMode?: OptimizationMode;
  template?: string | { name?: string; id?: string; version?: number };
  variables?: Record<string, unknown>;
  /** Generation parameters (temperature, max_tokens, tools, ...) pass through. */
  [parameter: string]: unknown;
}

export interface Metrics {
  requestId: string;
  provider: string;
  model: string;
  feature: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  costUsd: string | null;
  estimatedSavingsUsd: string | null;
  verifiedSavingsUsd: string | null;
  cacheStatus: "hit" | "miss" | "bypass" | "write" | string;
  cachedPromptTokens: number | null;
  reasoningTokens: number | null;
  priced: boolean;
  replay: boolean;
  originalRequestId: string | null;
  optimizationMode: OptimizationMode;
  latencyMs: { total: number; upstream: number; gateway: number };
  [field: string]: unknown;
}

export interface ChatResult {
  /** The provider's answer in OpenAI's chat-completion shape, without the `killtoken` block. */
  response: Record<string, any>;
  metrics: Metrics;
  requestId: string | null;
}

export interface ClientOptions {
  /** The gateway's URL. Default: $KILLTOKEN_BASE_URL, else http://127.0.0.1:8787. */
  baseUrl?: string;
  /** The tenant's `kt_` key. Default: $KILLTOKEN_API_KEY. */
  apiKey?: string;
  /** Default feature tag, sent as `x-killtoken-feature`. */
  feature?: string;
  timeoutMs?: number;
  defaultHeaders?: Record<string, string>;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export class KillTokenError extends Error {}

export class KillTokenConnectionError extends KillTokenError {
  readonly url: string;
}

export class KillTokenAPIError extends KillTokenError {
  readonly status: number;
  /** The contract's error code, e.g. `rate_limited`, `plan_limit_exceeded`, `invalid_model`. */
  readonly code: string;
  readonly detail: string;
  readonly requestId: string | null;
  readonly headers: Headers;
  readonly retryAfter: number | null;
  readonly metrics: Partial<Metrics> | null;
  readonly plan: { name: string; limit: string | null; used: string | null; reset: string | null } | null;
}

export class KillTokenClient {
  constructor(options?: ClientOptions);
  readonly baseUrl: string;
  chat(request: ChatRequest, options?: { signal?: AbortSignal }): Promise<ChatResult>;
  request<T = any>(method: string, path: string, options?: { body?: unknown; text?: boolean; signal?: AbortSignal }): Promise<T>;
  credentials: {
    list(): Promise<Array<Record<string, any>>>;
    add(credential: { provider: ProviderName; apiKey?: string; secrets?: Record<string, string>; config?: Record<string, unknown>; label?: string }): Promise<Record<string, any>>;
    update(id: string, changes: Record<string, unknown>): Promise<Record<string, any>>;
    remove(id: string): Promise<null>;
    test(id: string, model?: string): Promise<{ status: string; latencyMs?: number; [field: string]: unknown }>;
  };
  requests: {
    list(filters?: Query): Promise<{ data: Array<Record<string, any>>; hasMore: boolean; nextCursor: string | null }>;
    get(requestId: string): Promise<Record<string, any>>;
  };
  analytics: { summary(options?: Query): Promise<Record<string, any>> };
  exports: { requestsCsv(options?: Query): Promise<string>; analyticsJson(options?: Query): Promise<Record<string, any>> };
  reports: { roi(options?: Query): Promise<Record<string, any> | string> };
  templates: {
    list(): Promise<Array<Record<string, any>>>;
    create(template: Record<string, unknown>): Promise<Record<string, any>>;
    get(ref: string, version?: number): Promise<Record<string, any>>;
    update(ref: string, changes: Record<string, unknown>): Promise<Record<string, any>>;
  };
}

export default KillTokenClient;
