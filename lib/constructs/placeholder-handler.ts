/**
 * Stands in for a handler module that does not exist yet (the app stack warns at synth time and
 * the infra tests fail while any placeholder is in the app). Fails every invocation loudly.
 */
export const handler = async (): Promise<never> => {
  throw new Error(
    `handler not built: ${process.env.SVP_MISSING_HANDLER ?? 'unknown'} does not exist in this deployment`,
  );
};
