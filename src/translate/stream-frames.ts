import { anthropicMidStreamFailureFrame, midStreamFailureFrame } from "../sse/frames";

/** The terminal frame (docs/api.md, Errors) after a provider fails mid-stream, in each client's envelope. */

const decoder = new TextDecoder();

/** For OpenAI clients: the gateway's own frame (src/sse/frames.ts), as text. */
export const openAIFailureFrame = (message: string): string => decoder.decode(midStreamFailureFrame(message));

/** For Anthropic clients: the same error in the `/v1/messages` error envelope. */
export const anthropicFailureFrame = (message: string): string =>
  decoder.decode(anthropicMidStreamFailureFrame(message));

/** The message of a failure the provider itself reported in its stream. */
export const upstreamErrorMessage = (detail: string): string =>
  `The provider reported an error mid-stream (${detail}). The partial answer above is incomplete; retry the request.`;

/** The message of an event from the provider that cannot be read. */
export const unreadableEventMessage = (detail: string): string =>
  `The provider sent a stream event that could not be translated (${detail}). The partial answer above is incomplete; retry the request.`;
