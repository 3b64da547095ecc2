import { describe, expect, it } from "vitest";
import { mcpServerNames, toolNames } from "../../src/policy/extract-values";

/** Tool and MCP server names, with their fields, from OpenAI, Anthropic and Responses bodies. */

describe("toolNames", () => {
  it("reads OpenAI Chat function tools at tools[i].function.name", () => {
    const body = {
      model: "m",
      tools: [
        { type: "function", function: { name: "get_weather", parameters: {} } },
        { type: "function", function: { name: "shell.exec" } },
      ],
    };
    expect(toolNames(body)).toEqual([
      { value: "get_weather", param: "tools[0].function.name" },
      { value: "shell.exec", param: "tools[1].function.name" },
    ]);
  });

  it("reads Anthropic tools, server tools and Responses function tools at tools[i].name", () => {
    const body = {
      tools: [
        { name: "get_weather", input_schema: { type: "object" } },
        { type: "web_search_20250305", name: "web_search" },
        { type: "function", name: "lookup", parameters: {} },
      ],
    };
    expect(toolNames(body)).toEqual([
      { value: "get_weather", param: "tools[0].name" },
      { value: "web_search", param: "tools[1].name" },
      { value: "lookup", param: "tools[2].name" },
    ]);
  });

  it("skips MCP tools, nameless built-ins and names that are not strings, and bodies without tools", () => {
    const body = {
      tools: [
        { type: "mcp", server_label: "deepwiki", server_url: "https://mcp.example/sse" },
        { type: "web_search_preview" },
        { type: "function", function: { name: 42 } },
        "not an object",
        null,
      ],
    };
    expect(toolNames(body)).toEqual([]);
    expect(toolNames({ tools: "nope" })).toEqual([]);
    expect(toolNames([{ tools: [] }])).toEqual([]);
    expect(toolNames(null)).toEqual([]);
  });
});

describe("mcpServerNames", () => {
  it("reads mcp and mcp_servers entries: strings, name and server_label", () => {
    const body = {
      mcp: ["github", { server_label: "jira" }],
      mcp_servers: [{ type: "url", url: "https://mcp.example/sse", name: "example" }, { name: 7 }],
    };
    expect(mcpServerNames(body)).toEqual([
      { value: "github", param: "mcp[0]" },
      { value: "jira", param: "mcp[1].server_label" },
      { value: "example", param: "mcp_servers[0].name" },
    ]);
  });

  it("reads Responses MCP tools (server_label) and Anthropic MCP toolsets (mcp_server_name)", () => {
    const body = {
      tools: [
        { type: "function", function: { name: "f" } },
        { type: "mcp", server_label: "deepwiki", server_url: "https://mcp.deepwiki.com/mcp" },
        { type: "mcp_toolset", mcp_server_name: "example" },
      ],
    };
    expect(mcpServerNames(body)).toEqual([
      { value: "deepwiki", param: "tools[1].server_label" },
      { value: "example", param: "tools[2].mcp_server_name" },
    ]);
  });

  it("finds nothing in a body without MCP", () => {
    expect(mcpServerNames({ model: "m", messages: [] })).toEqual([]);
    expect(mcpServerNames("text")).toEqual([]);
  });
});
