// The contract's Path 4 example, verbatim, then what a Node backend does next with the same client.
// tests/test_node_sdk.py runs it (with @killtoken/sdk linked from sdk/node) and checks what it prints.
import { KillTokenClient } from "@killtoken/sdk"; const client = new KillTokenClient({ baseUrl: process.env.KILLTOKEN_BASE_URL, // https://killtoken.io
apiKey: process.env.KILLTOKEN_API_KEY }); const { response, metrics } = await client.chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "Hello" }], metadata: { feature: "my-feature-name" }, cachePolicy: { exactCache: "read_write" }, idempotencyKey: "req-123" });

import { KillTokenAPIError, KillTokenConnectionError } from "@killtoken/sdk";

const caught = async (promise) => {
  try {
    await promise;
    return null;
  } catch (error) {
    return {
      name: error.constructor.name,
      isApiError: error instanceof KillTokenAPIError,
      status: error.status ?? null,
      code: error.code ?? null,
      requestId: error.requestId ?? null,
      retryAfter: error.retryAfter ?? null,
      metricsRequestId: error.metrics?.requestId ?? null,
      message: error.message,
    };
  }
};

// A retry with the same idempotency key is a replay; the same prompt without one is a cache hit.
const replay = await client.chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "Hello" }], metadata: { feature: "my-feature-name" }, cachePolicy: { exactCache: "read_write" }, idempotencyKey: "req-123" });
const hit = await client.chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "Hello" }], cachePolicy: { exactCache: "read_write" } });
// No provider: the gateway routes by the model's name (gpt-* -> openai).
const routed = await client.chat({ model: "gpt-4.1-mini", messages: [{ role: "user", content: "Routed" }] });

const badPolicy = await caught(client.chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "x" }], cachePolicy: { exactCache: "sometimes" } }));
const noCredential = await caught(client.chat({ provider: "mistral", model: "mistral-small-latest", messages: [{ role: "user", content: "x" }] }));
const wrongKey = await caught(new KillTokenClient({ baseUrl: process.env.KILLTOKEN_BASE_URL, apiKey: "kt_wrong" }).chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "x" }] }));
const unreachable = await caught(new KillTokenClient({ baseUrl: process.env.KILLTOKEN_DEAD_URL, apiKey: "kt_x" }).chat({ provider: "openai", model: "gpt-4.1-mini", messages: [{ role: "user", content: "x" }] }));

const history = await client.requests.list({ feature: "my-feature-name" });
const summary = await client.analytics.summary();
const csv = await client.exports.requestsCsv();

console.log(JSON.stringify({
  response, metrics, replay, hit, routed,
  errors: { badPolicy, noCredential, wrongKey, unreachable, unreachableIsConnectionError: unreachable?.name === KillTokenConnectionError.name },
  history: history.data.map((row) => row.id),
  summaryRequests: summary.totals?.requests ?? null,
  csvLines: csv.trim().split("\n").length,
}));
