import { describe, expect, it } from "vitest";
import { openAIToWorkersAIInputs } from "../../src/providers/workers-ai/request";

/** src/providers/workers-ai/request.ts: an OpenAI chat body as `env.AI.run`'s inputs. */

const HI = [{ role: "user", content: "hi" }];

describe("openAIToWorkersAIInputs", () => {
  it("sends the parameters Workers AI text models take, under their own names", () => {
    const body = {
      model: "@cf/meta/llama-3.1-8b-instruct",
      messages: HI,
      stream: true,
      max_tokens: 10,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      seed: 1,
      repetition_penalty: 1.1,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      response_format: { type: "json_object" },
      stop: ["\n"],
      tools: [{ type: "function", function: { name: "f", parameters: {} } }],
      tool_choice: "auto",
      parallel_tool_calls: false,
      reasoning_effort: "low",
      chat_template_kwargs: { enable_thinking: false },
    };
    const { body: inputs, dropped } = openAIToWorkersAIInputs(body);
    const { model: _model, ...rest } = body;
    expect(inputs).toEqual(rest);
    expect(dropped).toEqual([]);
  });

  it("leaves out what Workers AI does not take, naming it; model and stream_options silently", () => {
    const { body: inputs, dropped } = openAIToWorkersAIInputs({
      model: "m",
      messages: HI,
      stream_options: { include_usage: true },
      user: "u",
      n: 1,
      logit_bias: { "1": 2 },
      metadata: { a: "b" },
    });
    expect(inputs).toEqual({ messages: HI });
    expect(dropped).toEqual(["user", "n", "logit_bias", "metadata"]);
  });

  it.each([
    [{ max_completion_tokens: 64 }, 64],
    [{ max_completion_tokens: 64, max_tokens: 32 }, 32],
    [{ max_completion_tokens: 64, max_tokens: null }, 64],
  ])("%j sends max_tokens %d", (limits, expected) => {
    const { body: inputs, dropped } = openAIToWorkersAIInputs({ model: "m", messages: HI, ...limits });
    expect(inputs.max_tokens).toBe(expected);
    expect(inputs).not.toHaveProperty("max_completion_tokens");
    expect(dropped).toEqual([]);
  });

  it("a null parameter is the model's default: not sent", () => {
    const { body: inputs } = openAIToWorkersAIInputs({ model: "m", messages: HI, stop: null, temperature: null });
    expect(inputs).toEqual({ messages: HI });
  });

  it("null content becomes an empty string, text-only parts one string; other content stays as it is", () => {
    const image = [
      { type: "text", text: "what is this?" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
    ];
    const messages = [
      {
        role: "system",
        content: [
          { type: "text", text: "a" },
          { type: "text", text: "b" },
        ],
      },
      { role: "user", content: image },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "user", content: [] },
      { role: "tool", tool_call_id: "c", content: "ok" },
    ];
    const { body: inputs } = openAIToWorkersAIInputs({ model: "m", messages });
    expect(inputs.messages).toEqual([
      { role: "system", content: "a\nb" },
      { role: "user", content: image },
      { role: "assistant", content: "", tool_calls: messages[2]?.tool_calls },
      { role: "user", content: [] },
      { role: "tool", tool_call_id: "c", content: "ok" },
    ]);
    expect(inputs.messages[4]).toBe(messages[4]);
  });
});
