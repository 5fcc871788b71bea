/**
 * Local-only developer routes. `GET /dev/outbox`: the emails the product would have sent (to,
 * subject, text, links), newest last — follow the review links from here. 404 unless
 * APP_MODE=local, so the route does not exist in AWS.
 */
import { listOutbox } from '../../adapters/notify/outbox.js';
import { services } from '../../shared/container.js';
import { localEnv, parseEnv } from '../../shared/env.js';
import { AppError } from '../../shared/errors.js';
import { defineHandler, ok } from './define.js';

export const handler = defineHandler('dev', {
  devOutbox: async (req) => {
    if (parseEnv(localEnv).APP_MODE !== 'local') throw new AppError('not_found', 'No such route');
    const rows = await listOutbox(services.db(), { limit: 1000 });
    const to = req.query.to?.toLowerCase();
    const items = rows.filter((r) => !to || r.to.toLowerCase() === to).slice(-req.query.limit)
      .map((r) => ({ id: r.id, to: r.to, subject: r.subject, text: r.text, links: r.links, status: r.status, createdAt: r.createdAt.toISOString() }));
    return ok({ items });
  },
});
