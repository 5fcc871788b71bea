/**
 * Prints a JWT from the local issuer for a (seeded) user:
 *   npm run dev:token -- alice@example.com [--name "Alice"] [--ttl 3600]
 * The subject is `local|<email>`, the convention the API resolves users by (app.resolve_user
 * links it to the users row with that email on first use). Use it as `Authorization: Bearer <token>`.
 */
import { parseArgs } from 'node:util';
import { issueLocalToken, localAuthConfig } from '../local/auth/local-issuer.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
});
const email = positionals[0];
if (!email?.includes('@')) {
  console.error('usage: npm run dev:token -- <email> [--name "Display Name"] [--ttl seconds]');
  process.exit(2);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds');
  process.exit(2);
}
const token = await issueLocalToken(localAuthConfig(), { email, name: values.name, ttl });
process.stdout.write(`${token}\n`);
