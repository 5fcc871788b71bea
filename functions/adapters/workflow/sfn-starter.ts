/**
 * WorkflowStarter on AWS Step Functions. The execution name is derived from (requestId, run), so
 * Step Functions itself refuses to run the same run twice: a duplicate start of a run that is
 * still running is a no-op; of a run that already ended, a conflict (the caller must start a new run).
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { executionNameFor, type WorkflowStarter } from '../../domain/ports.js';
import { AppError } from '../../shared/errors.js';
import type { AdapterPermissions } from '../aws-permissions.js';

/** `state-machine` = its ARN; `execution` = an execution of it (`executionArnFor`). */
export const SFN_STARTER_PERMISSIONS = {
  start: [
    { action: 'states:StartExecution', on: 'state-machine' },
    {
      action: 'states:DescribeExecution',
      on: 'execution',
      why: 'a repeated start of a run asks whether that execution is still running',
    },
  ],
  stop: [{ action: 'states:StopExecution', on: 'execution' }],
} as const satisfies AdapterPermissions<keyof WorkflowStarter, 'state-machine' | 'execution'>;

export interface SfnStarterOptions {
  stateMachineArn: string;
  client?: Pick<SFNClient, 'send'>;
}

/** arn:aws:states:r:a:stateMachine:Name -> arn:aws:states:r:a:execution:Name:<executionName> */
export function executionArnFor(stateMachineArn: string, executionName: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length < 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], executionName].join(':');
}

type SfnSdk = typeof import('@aws-sdk/client-sfn');
// Loaded at the first start or stop, not at module load (most functions never start a workflow).
let sfnSdk: Promise<SfnSdk> | undefined;
export const loadSfn = (): Promise<SfnSdk> => (sfnSdk ??= import('@aws-sdk/client-sfn'));

export function createSfnStarter(opts: SfnStarterOptions): WorkflowStarter {
  let client: Pick<SFNClient, 'send'> | undefined = opts.client;
  const ready = async () => {
    const sdk = await loadSfn();
    client ??= new sdk.SFNClient({});
    return { sdk, client };
  };
  return {
    async start({ orgId, requestId, run }) {
      const name = executionNameFor(requestId, run);
      const { sdk, client } = await ready();
      try {
        const out = await client.send(
          new sdk.StartExecutionCommand({
            stateMachineArn: opts.stateMachineArn,
            name,
            input: JSON.stringify({ orgId, requestId, run }),
          }),
        );
        return { executionName: name, executionArn: out.executionArn };
      } catch (e) {
        if ((e as Error).name !== 'ExecutionAlreadyExists') {
          throw new AppError('upstream_unavailable', 'Could not start the workflow', { retryable: true, cause: e });
        }
        const executionArn = executionArnFor(opts.stateMachineArn, name);
        const d = await client.send(new sdk.DescribeExecutionCommand({ executionArn }));
        if (d.status === 'RUNNING') return { executionName: name, executionArn };
        throw new AppError('conflict', `Run ${run} of this request already ended (${d.status}); start a new run`);
      }
    },
    async stop({ executionName, executionArn, reason }) {
      const arn = executionArn ?? executionArnFor(opts.stateMachineArn, executionName);
      const { sdk, client } = await ready();
      try {
        await client.send(new sdk.StopExecutionCommand({ executionArn: arn, cause: reason.slice(0, 32_768) }));
      } catch (e) {
        // Already finished or never started: nothing to stop.
        if ((e as Error).name === 'ExecutionDoesNotExist') return;
        throw e;
      }
    },
  };
}
