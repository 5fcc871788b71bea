/**
 * For a local process: the choice between the real Freepik API (FREEPIK_API_KEY set) and the
 * emulator (not set), with the line to print saying which one is in use.
 */
import {
  configForEmulator,
  loadFreepikConfig,
  type FreepikConfig,
} from '../../../functions/adapters/freepik/config.js';
import { EMULATOR_API_KEY, startFreepikEmulator, type EmulatorOptions, type FreepikEmulator } from './emulator.js';

export interface LocalFreepik {
  /** Configuration to use (pointing at the emulator when no key is set). */
  config: FreepikConfig & { apiKey: string };
  mode: 'freepik' | 'emulator';
  /** The line to print at startup. */
  banner: string;
  emulator?: FreepikEmulator;
  close(): Promise<void>;
}

/**
 * Local stack: real Freepik when FREEPIK_API_KEY is set, otherwise an emulator on
 * FREEPIK_EMULATOR_PORT (default: a free port) with the environment's other FREEPIK_* settings.
 */
export async function startLocalFreepik(
  env: Record<string, string | undefined> = process.env,
  emulatorOpts: EmulatorOptions = {},
): Promise<LocalFreepik> {
  const cfg = loadFreepikConfig(env);
  if (cfg.apiKey) {
    return {
      config: { ...cfg, apiKey: cfg.apiKey },
      mode: 'freepik',
      banner: `Image source: Freepik API at ${cfg.baseUrl} (FREEPIK_API_KEY is set; calls cost credits)`,
      close: async () => {},
    };
  }
  const emulator = await startFreepikEmulator({
    port: Number(env.FREEPIK_EMULATOR_PORT ?? 0),
    keyHeader: cfg.keyHeader,
    ...emulatorOpts,
  });
  const apiKey = emulatorOpts.apiKey ?? EMULATOR_API_KEY;
  const local = configForEmulator(cfg, emulator.url, apiKey);
  return {
    config: { ...local, apiKey },
    mode: 'emulator',
    banner: `Image source: Freepik emulator at ${emulator.url} (no FREEPIK_API_KEY set; generated images, no cost)`,
    emulator,
    close: () => emulator.close(),
  };
}
