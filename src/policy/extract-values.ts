/**
 * The names `policy_rules.tools` and `policy_rules.mcp` judge, read from any JSON body (OpenAI Chat,
 * Anthropic Messages, the Responses API, or a raw `/proxy` body), each with the field it came from.
 *
 * - Tools: `tools[i].function.name` (OpenAI Chat) or `tools[i].name` (Anthropic tools and server
 *   tools, Responses function tools).
 * - MCP servers: entries of the top-level `mcp` and `mcp_servers` arrays (a string, or an object's
 *   `name` / `server_label`), `tools[i].server_label` of a Responses `{"type": "mcp"}` tool, and
 *   `tools[i].mcp_server_name` of an Anthropic MCP toolset.
 *
 * Values that are not strings are left to the provider's own validation.
 */

export interface FoundValue {
  value: string;
  /** Where it is, for the error's `param`: `tools[2].function.name`. */
  param: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function entries(body: unknown, field: string): [number, unknown][] {
  if (!isObject(body)) return [];
  const list = body[field];
  return Array.isArray(list) ? [...list.entries()] : [];
}

function pushString(out: FoundValue[], value: unknown, param: string): void {
  if (typeof value === "string") out.push({ value, param });
}

export function toolNames(body: unknown): FoundValue[] {
  const out: FoundValue[] = [];
  for (const [i, tool] of entries(body, "tools")) {
    if (!isObject(tool) || tool.type === "mcp") continue;
    if (isObject(tool.function)) pushString(out, tool.function.name, `tools[${i}].function.name`);
    else pushString(out, tool.name, `tools[${i}].name`);
  }
  return out;
}

export function mcpServerNames(body: unknown): FoundValue[] {
  const out: FoundValue[] = [];
  for (const field of ["mcp", "mcp_servers"]) {
    for (const [i, server] of entries(body, field)) {
      if (typeof server === "string") out.push({ value: server, param: `${field}[${i}]` });
      else if (isObject(server)) {
        pushString(out, server.name, `${field}[${i}].name`);
        pushString(out, server.server_label, `${field}[${i}].server_label`);
      }
    }
  }
  for (const [i, tool] of entries(body, "tools")) {
    if (!isObject(tool)) continue;
    if (tool.type === "mcp") pushString(out, tool.server_label, `tools[${i}].server_label`);
    pushString(out, tool.mcp_server_name, `tools[${i}].mcp_server_name`);
  }
  return out;
}
