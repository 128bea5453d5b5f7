import type { ProviderError } from "./provider.ts";

/**
 * Meta's error codes with a readable reason and whether trying again can help (reference A.5).
 * Codes not listed keep Meta's own title and are not retried.
 */
const catalog: Record<string, { reason: string; retryable: boolean }> = {
  "0": { reason: "The access token could not be authenticated; renew it", retryable: false },
  "2": { reason: "WhatsApp is temporarily unavailable", retryable: true },
  "4": { reason: "Too many API calls from this app; slowing down", retryable: true },
  "10": { reason: "The token lacks the permission for this number", retryable: false },
  "100": { reason: "WhatsApp refused a parameter of the message", retryable: false },
  "190": { reason: "The access token has expired; renew it in the number's settings", retryable: false },
  "368": { reason: "The WhatsApp account is blocked for policy violations", retryable: false },
  "80007": { reason: "The WhatsApp Business Account rate limit was reached", retryable: true },
  "130429": { reason: "The number's message throughput was reached; slowing down", retryable: true },
  "130497": { reason: "The business cannot message users in this country", retryable: false },
  "131000": { reason: "Something went wrong at WhatsApp", retryable: true },
  "131005": { reason: "Access denied", retryable: false },
  "131008": { reason: "A required parameter is missing", retryable: false },
  "131009": { reason: "A parameter value is not valid", retryable: false },
  "131016": { reason: "WhatsApp is temporarily unavailable", retryable: true },
  "131021": { reason: "The recipient is the sending number itself", retryable: false },
  "131026": {
    reason:
      "The message could not be delivered: the number is not on WhatsApp, or has not accepted the terms",
    retryable: false,
  },
  "131030": { reason: "The recipient is not in the test number's allowed list", retryable: false },
  "131031": { reason: "The WhatsApp account is locked", retryable: false },
  "131042": { reason: "There is a payment problem with the WhatsApp Business Account", retryable: false },
  "131047": {
    reason: "More than 24 hours since the customer last wrote: only a template message can be sent",
    retryable: false,
  },
  "131048": {
    reason: "Sending is restricted because earlier messages were blocked or reported",
    retryable: false,
  },
  "131049": {
    reason: "Not delivered to keep the customer's engagement healthy (marketing limit)",
    retryable: false,
  },
  "131050": { reason: "The customer stopped marketing messages", retryable: false },
  "131051": { reason: "This message type is not supported", retryable: false },
  "131052": { reason: "The media the customer sent could not be downloaded", retryable: false },
  "131053": { reason: "The media of this message could not be uploaded", retryable: false },
  "131056": { reason: "Too many messages to this customer in a short time; try later", retryable: true },
  "131057": { reason: "The WhatsApp account is in maintenance", retryable: true },
  "132000": { reason: "The number of parameters does not match the approved template", retryable: false },
  "132001": { reason: "The template does not exist in this language or is not approved", retryable: false },
  "132005": { reason: "The template text is too long after filling in the parameters", retryable: false },
  "132007": { reason: "The template breaks WhatsApp's content or formatting policy", retryable: false },
  "132012": { reason: "A template parameter has the wrong format", retryable: false },
  "132015": { reason: "The template is paused for low quality", retryable: false },
  "132016": { reason: "The template is disabled for low quality", retryable: false },
  "133016": { reason: "Too many register or deregister attempts for this number", retryable: true },
};

export function metaError(code: number | string, title?: string, detail?: string): ProviderError {
  const key = String(code);
  const known = catalog[key];
  return {
    code: key,
    title: known?.reason ?? title?.replace(/^\(#\d+\)\s*/, "") ?? "WhatsApp error",
    detail: detail ?? title,
    retryable: known?.retryable ?? false,
  };
}
