import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { expect, test } from 'vitest';
import { createSfnStarter, executionArnFor } from '../../../functions/adapters/workflow/sfn-starter.js';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:svp-dev-content-workflow';
const ref = { orgId: 'o1', requestId: '5f0c1c7e-0000-4000-8000-000000000001', run: 2 };

/** A fake SFN client: answers per command name, records what was sent. */
function fakeClient(answers: Record<string, (input: any) => unknown>) {
  const sent: Array<{ name: string; input: any }> = [];
  return {
    sent,
    client: {
      async send(cmd: { constructor: { name: string }; input: unknown }) {
        const name = cmd.constructor.name;
        sent.push({ name, input: cmd.input });
        const answer = answers[name];
        if (!answer) throw new Error(`unexpected ${name}`);
        return answer(cmd.input);
      },
    } as never,
  };
}
const sfnError = (name: string) => Object.assign(new Error(name), { name });

test('starts the execution named after the request and run, with only the ref as input', async () => {
  const f = fakeClient({ StartExecutionCommand: () => ({ executionArn: 'arn:x' }) });
  const out = await createSfnStarter({ stateMachineArn: SM, client: f.client }).start(ref);
  expect(out).toEqual({ executionName: `req-${ref.requestId}-r2`, executionArn: 'arn:x' });
  expect(f.sent[0].name).toBe(StartExecutionCommand.name);
  expect(f.sent[0].input).toEqual({ stateMachineArn: SM, name: `req-${ref.requestId}-r2`, input: JSON.stringify(ref) });
});

test('a duplicate start of a running run is fine; of a finished run it is a conflict', async () => {
  const running = fakeClient({
    StartExecutionCommand: () => {
      throw sfnError('ExecutionAlreadyExists');
    },
    DescribeExecutionCommand: () => ({ status: 'RUNNING' }),
  });
  const r = await createSfnStarter({ stateMachineArn: SM, client: running.client }).start(ref);
  expect(r.executionArn).toBe(
    `arn:aws:states:eu-west-1:123456789012:execution:svp-dev-content-workflow:req-${ref.requestId}-r2`,
  );
  expect(running.sent[1]).toMatchObject({
    name: DescribeExecutionCommand.name,
    input: { executionArn: r.executionArn },
  });

  const ended = fakeClient({
    StartExecutionCommand: () => {
      throw sfnError('ExecutionAlreadyExists');
    },
    DescribeExecutionCommand: () => ({ status: 'SUCCEEDED' }),
  });
  await expect(createSfnStarter({ stateMachineArn: SM, client: ended.client }).start(ref)).rejects.toMatchObject({
    code: 'conflict',
  });
});

test('a throttled or failing StartExecution surfaces as a retryable error', async () => {
  const f = fakeClient({
    StartExecutionCommand: () => {
      throw sfnError('ThrottlingException');
    },
  });
  await expect(createSfnStarter({ stateMachineArn: SM, client: f.client }).start(ref)).rejects.toMatchObject({
    name: 'Transient.upstream_unavailable',
  });
});

test('stop sends StopExecution and is quiet for an execution that does not exist', async () => {
  const f = fakeClient({ StopExecutionCommand: () => ({}) });
  await createSfnStarter({ stateMachineArn: SM, client: f.client }).stop({
    executionName: 'req-a-r1',
    reason: 'cancelled by user',
  });
  expect(f.sent[0]).toEqual({
    name: StopExecutionCommand.name,
    input: { executionArn: executionArnFor(SM, 'req-a-r1'), cause: 'cancelled by user' },
  });
  const gone = fakeClient({
    StopExecutionCommand: () => {
      throw sfnError('ExecutionDoesNotExist');
    },
  });
  await expect(
    createSfnStarter({ stateMachineArn: SM, client: gone.client }).stop({ executionName: 'req-a-r1', reason: 'x' }),
  ).resolves.toBeUndefined();
});
