/**
 * A headless Chromium for the browser tests: the system binary driven by playwright-core, in a
 * throw-away profile, with everything that would reach the network on its own turned off.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  ctx: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Fails fast (before any server starts) when the binary is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
}

export async function launchBrowser(viewport: { width: number; height: number }): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'svp-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    ctx,
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
