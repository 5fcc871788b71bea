/** A real S3-compatible server (s3rver) for `npm start` and the tests. */
import S3rver from 's3rver';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface LocalS3 {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export async function startLocalS3(opts: {
  dir: string;
  port?: number;
  buckets: string[];
  silent?: boolean;
}): Promise<LocalS3> {
  mkdirSync(opts.dir, { recursive: true });
  const server = new S3rver({
    port: opts.port ?? 0,
    address: '127.0.0.1',
    directory: opts.dir,
    silent: opts.silent ?? true,
    configureBuckets: opts.buckets.map((name) => ({
      name,
      // browsers PUT to presigned URLs from the review/upload pages
      configs: [
        Buffer.from(
          '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>' +
            '<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
            '<AllowedHeader>*</AllowedHeader></CORSRule></CORSConfiguration>',
        ),
      ],
    })),
  });
  const addr = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return { endpoint, port: addr.port, close: () => server.close() };
}
