/**
 * Answers a `.waitForTaskToken` state: Step Functions in AWS, the local runner's broker locally.
 * Both raise errors named like the SFN API (`TaskTimedOut`, `InvalidToken`, `TaskDoesNotExist`,
 * `InvalidOutput`): a TaskTimedOut/InvalidToken on a second answer means "already decided".
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { AdapterPermissions } from '../aws-permissions.js';
import { loadSfn } from './sfn-starter.js';

/**
 * The Step Functions task-token API (SendTask*), as the SFN client and the local runner's broker
 * both offer it. The approval engine's own port over it is `TaskCallbacks` (domain/approvals/ports.ts).
 */
export interface TaskTokenClient {
  /** Resumes the waiting state with `output` (an object, or a JSON string). */
  sendTaskSuccess(token: string, output: unknown): Promise<void>;
  /** Fails the waiting state with error name `error` (matched by the state's Retry/Catch). */
  sendTaskFailure(token: string, error?: string, cause?: string): Promise<void>;
  sendTaskHeartbeat(token: string): Promise<void>;
}

/** IAM documents these actions as taking no resource: `any` = `*`. */
export const TASK_CALLBACK_PERMISSIONS = {
  sendTaskSuccess: [{ action: 'states:SendTaskSuccess', on: 'any' }],
  sendTaskFailure: [{ action: 'states:SendTaskFailure', on: 'any' }],
  sendTaskHeartbeat: [{ action: 'states:SendTaskHeartbeat', on: 'any' }],
} as const satisfies AdapterPermissions<keyof TaskTokenClient, 'any'>;

/** True for the errors that mean the task is no longer waiting (answered, timed out, stopped). */
export const isTaskClosedError = (e: unknown) =>
  e instanceof Error && (e.name === 'TaskTimedOut' || e.name === 'InvalidToken' || e.name === 'TaskDoesNotExist');

export function createSfnTaskCallbacks(given?: Pick<SFNClient, 'send'>): TaskTokenClient {
  // The SDK is loaded at the first answer, not at module load.
  let client = given;
  const ready = async () => {
    const sdk = await loadSfn();
    client ??= new sdk.SFNClient({});
    return { sdk, client };
  };
  return {
    async sendTaskSuccess(token, output) {
      const { sdk, client } = await ready();
      await client.send(
        new sdk.SendTaskSuccessCommand({
          taskToken: token,
          output: typeof output === 'string' ? output : JSON.stringify(output ?? null),
        }),
      );
    },
    async sendTaskFailure(token, error, cause) {
      // SFN limits: error 256 chars, cause 32768.
      const { sdk, client } = await ready();
      await client.send(
        new sdk.SendTaskFailureCommand({
          taskToken: token,
          error: error?.slice(0, 256),
          cause: cause?.slice(0, 32_768),
        }),
      );
    },
    async sendTaskHeartbeat(token) {
      const { sdk, client } = await ready();
      await client.send(new sdk.SendTaskHeartbeatCommand({ taskToken: token }));
    },
  };
}
