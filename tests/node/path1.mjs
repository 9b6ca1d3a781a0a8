// The contract's Path 1 example, verbatim except that the base URL comes from the environment.
// tests/test_node_sdk.py runs it against a live gateway and checks what it prints.
import OpenAI from "openai";

const openai = new OpenAI({
  apiKey: process.env.KILLTOKEN_API_KEY, // kt_..., NOT sk-...
  baseURL: `${process.env.KILLTOKEN_BASE_URL}/v1/openai`,
  defaultHeaders: { "x-killtoken-feature": "my-feature-name" }, // optional but recommended
});
const completion = await openai.chat.completions.create({
  model: "gpt-4.1-mini",
  messages: [{ role: "user", content: "Hello" }],
});

// The test's fake provider answers the next calls with 429: the SDK must raise its rate-limit error.
let rateLimit = null;
try {
  await openai.chat.completions.create({ model: "gpt-4.1-mini", messages: [{ role: "user", content: "Again" }] });
} catch (error) {
  rateLimit = {
    isRateLimitError: error instanceof OpenAI.RateLimitError,
    status: error.status,
    code: error.code,
    requestId: error.requestID,
  };
}

console.log(
  JSON.stringify({
    answer: completion.choices[0].message.content,
    metrics: completion.killtoken.metrics,
    requestId: completion._request_id,
    rateLimit,
  }),
);
