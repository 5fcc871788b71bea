/** What an API route's handler returns; the chain (handlers/api/api-handler.ts) turns it into the HTTP result. */
export interface ApiReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Non-JSON responses (HTML, images): `body` must then be a string or Buffer. */
  contentType?: string;
  cookies?: string[];
}
