// @killtoken/sdk: the contract's Path 4 client for Node 20+, with no dependencies (it uses the built-in fetch).
// `chat()` answers `{ response, metrics, requestId }`; every gateway error is a KillTokenAPIError carrying the
// contract's `code`, the HTTP `status` and the `requestId`; a gateway that cannot be reached is a
// KillTokenConnectionError that names the URL it tried.

const DEFAULT_BASE_URL = "http://127.0.0.1:8787";

export class KillTokenError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

export class KillTokenConnectionError extends KillTokenError {
  constructor(url, cause) {
    super(`KillToken is not reachable at ${url} (${cause?.cause?.code ?? cause?.message ?? cause}); is \`kt serve\` running?`);
    this.url = url;
    this.cause = cause;
  }
}

export class KillTokenAPIError extends KillTokenError {
  constructor(status, code, message, headers) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
    this.detail = message;
    this.headers = headers;
    this.requestId = headers.get("x-killtoken-request-id");
  }

  /** Seconds to wait before retrying, when the answer said (429). */
  get retryAfter() {
    const value = Number.parseFloat(this.headers.get("retry-after") ?? "");
    return Number.isFinite(value) ? value : null;
  }

  /** The gateway's `x-killtoken-metrics` for this failed call (request id, provider, status, latency), or null. */
  get metrics() {
    try {
      return JSON.parse(this.headers.get("x-killtoken-metrics") ?? "null");
    } catch {
      return null;
    }
  }

  /** The monthly quota as the gateway reported it (`x-killtoken-plan*` headers), or null. */
  get plan() {
    const name = this.headers.get("x-killtoken-plan");
    if (name === null) return null;
    return {
      name,
      limit: this.headers.get("x-killtoken-plan-limit"),
      used: this.headers.get("x-killtoken-plan-used"),
      reset: this.headers.get("x-killtoken-plan-reset"),
    };
  }
}

function errorFrom(status, body, text, headers) {
  // The contract's `{error, message}` and OpenAI's `{error: {code, message}}` shapes both occur.
  let error = body?.error;
  let message = body?.message;
  if (error && typeof error === "object") {
    message = error.message;
    error = error.code;
  }
  return new KillTokenAPIError(
    status,
    typeof error === "string" ? error : "http_error",
    typeof message === "string" ? message : text.slice(0, 300) || `HTTP ${status}`,
    headers,
  );
}

function query(params) {
  const pairs = Object.entries(params ?? {}).filter(([, value]) => value !== undefined && value !== null);
  return pairs.length ? `?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)]))}` : "";
}

const segment = (value) => encodeURIComponent(String(value));

export class KillTokenClient {
  /**
   * @param {object} [options]
   * @param {string} [options.baseUrl] the gateway's URL (default: $KILLTOKEN_BASE_URL, else http://127.0.0.1:8787)
   * @param {string} [options.apiKey] the tenant's `kt_` key (default: $KILLTOKEN_API_KEY)
   * @param {string} [options.feature] a default feature tag, sent as `x-killtoken-feature` on every chat call
   * @param {number} [options.timeoutMs] per-call timeout (default 600000)
   * @param {Record<string,string>} [options.defaultHeaders] extra headers on every call
   * @param {typeof fetch} [options.fetch] a fetch implementation (default: the global one)
   */
  constructor(options = {}) {
    const baseUrl = options.baseUrl ?? process.env.KILLTOKEN_BASE_URL ?? DEFAULT_BASE_URL;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.apiKey = options.apiKey ?? process.env.KILLTOKEN_API_KEY;
    if (!this.apiKey) {
      throw new KillTokenError("No KillToken key: pass `apiKey` (kt_...) or set KILLTOKEN_API_KEY.");
    }
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.defaultHeaders = { ...(options.defaultHeaders ?? {}) };
    if (options.feature) this.defaultHeaders["x-killtoken-feature"] = options.feature;
    this.fetch = options.fetch ?? globalThis.fetch;

    this.credentials = {
      list: async () => (await this.request("GET", "/v1/provider-credentials")).data,
      add: (credential) => this.request("POST", "/v1/provider-credentials", { body: credential }),
      update: (id, changes) => this.request("PATCH", `/v1/provider-credentials/${segment(id)}`, { body: changes }),
      remove: (id) => this.request("DELETE", `/v1/provider-credentials/${segment(id)}`),
      test: (id, model) =>
        this.request("POST", `/v1/provider-credentials/${segment(id)}/test`, { body: model ? { model } : {} }),
    };
    this.requests = {
      list: (filters) => this.request("GET", `/v1/requests${query(filters)}`),
      get: (requestId) => this.request("GET", `/v1/requests/${segment(requestId)}`),
    };
    this.analytics = { summary: (options) => this.request("GET", `/v1/analytics/summary${query(options)}`) };
    this.exports = {
      requestsCsv: (options) => this.request("GET", `/v1/exports/requests.csv${query(options)}`, { text: true }),
      analyticsJson: (options) => this.request("GET", `/v1/exports/analytics.json${query(options)}`),
    };
    this.reports = {
      roi: (options) =>
        this.request("GET", `/v1/reports/roi${query(options)}`, { text: (options?.format ?? "json") !== "json" }),
    };
    this.templates = {
      list: async () => (await this.request("GET", "/v1/templates")).data,
      create: (template) => this.request("POST", "/v1/templates", { body: template }),
      get: (ref, version) => this.request("GET", `/v1/templates/${segment(ref)}${query({ version })}`),
      update: (ref, changes) => this.request("PATCH", `/v1/templates/${segment(ref)}`, { body: changes }),
    };
  }

  /**
   * One chat call on the native door (`POST /v1/chat`). Without `provider` (and no template) it goes to the
   * OpenAI-compatible door, which routes by the model's name (README: provider routing).
   * @returns {Promise<{response: object, metrics: object, requestId: string}>}
   */
  async chat(request, { signal } = {}) {
    const path = request.provider || request.template ? "/v1/chat" : "/v1/openai/chat/completions";
    const { body, headers } = await this.exchange("POST", path, { body: request, signal });
    const { killtoken, ...response } = body;
    return { response, metrics: killtoken?.metrics ?? {}, requestId: headers.get("x-killtoken-request-id") };
  }

  /** Any gateway call: the parsed JSON answer (or the text, with `text: true`), else a KillTokenAPIError. */
  async request(method, path, options = {}) {
    return (await this.exchange(method, path, options)).body;
  }

  async exchange(method, path, { body, text = false, signal } = {}) {
    const url = `${this.baseUrl}${path}`;
    const headers = { ...this.defaultHeaders, authorization: `Bearer ${this.apiKey}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let reply;
    try {
      reply = await this.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      if (error?.name === "AbortError" || error?.name === "TimeoutError") throw error;
      throw new KillTokenConnectionError(this.baseUrl, error);
    }
    const raw = await reply.text();
    let parsed = null;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      parsed = null;
    }
    if (!reply.ok) throw errorFrom(reply.status, parsed, raw, reply.headers);
    return { body: text ? raw : parsed, headers: reply.headers };
  }
}

export default KillTokenClient;
