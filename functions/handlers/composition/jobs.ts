/**
 * What the metrics collector job needs beyond the database, part of the composition root
 * (./root.ts): the Meta Graph connectors and the cipher that opens the stored access tokens.
 * A module of its own so that only the job functions bundle the Meta and KMS adapters.
 */
import { metaConnectorsFromEnv, metaGraphEnv } from '../../adapters/analytics/meta-graph-connector.js';
import { fieldCipher } from '../../adapters/crypto/envelope.js';
import type { Composed } from './cache.js';
import { parseEnv } from '../../shared/env.js';
import { resolve } from './cache.js';

export function metricsCollector(): Composed['collector'] {
  return resolve('collector', () => ({
    connectors: metaConnectorsFromEnv(parseEnv(metaGraphEnv)),
    cipher: fieldCipher(),
  }));
}
