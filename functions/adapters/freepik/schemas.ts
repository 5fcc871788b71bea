/**
 * The contract's response shapes (../shared/freepik-api.md), each defined with its endpoint in
 * endpoints/ and gathered here for code that checks answers without the client (the emulator's
 * contract tests, the webhook receiver). Objects are non-strict (unknown fields are dropped,
 * never an error) and optional wherever the contract is unsure.
 */
export { mysticResponseSchema, mysticTaskBodySchema } from './endpoints/mystic.js';
export {
  downloadResponseSchema,
  resourceDetailSchema,
  type SearchItemBody,
  searchItemSchema,
  searchResponseSchema,
} from './endpoints/stock.js';
export { textToImageResponseSchema } from './endpoints/text-to-image.js';
export { errorBodySchema } from './upstream-errors.js';
