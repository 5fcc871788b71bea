/**
 * The approval loop as synthesized into the content workflow: JSONPath only, a real task-token
 * wait whose deadline comes from the state (TimeoutSecondsPath), escalation and expiry on
 * States.Timeout before the catch-all, and a loop back for the next step.
 */
import { createRequire } from 'node:module';
import { expect, test } from 'vitest';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ContentWorkflow, LOCAL_HANDLERS_METADATA, TASK_HANDLERS } from '../../../lib/constructs/content-workflow.js';
import { APPROVAL_STEP_HANDLER } from '../../../lib/constructs/approval-steps.js';

const aslValidator = createRequire(import.meta.url)('asl-validator') as (
  d: unknown,
  o?: object,
) => { isValid: boolean; errorsText(sep?: string): string };

function synth() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false } as never);
  const stack = new Stack(app, 'S');
  const tasks = Object.fromEntries(
    Object.keys(TASK_HANDLERS).map((k) => [
      k,
      new lambda.Function(stack, k, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('x'),
      }),
    ]),
  ) as never;
  new ContentWorkflow(stack, 'Wf', { tasks });
  const [res] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')) as Array<{
    Properties: { DefinitionString: unknown };
    Metadata: Record<string, Record<string, string>>;
  }>;
  // Join the Fn::Join pieces into plain text: the partition, and a placeholder for function ARNs.
  const parts = (res.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((p) =>
      typeof p === 'string'
        ? p
        : (p as { Ref?: string }).Ref === 'AWS::Partition'
          ? 'aws'
          : 'arn:aws:lambda:us-east-1:123456789012:function:F',
    )
    .join('');
  return { def: JSON.parse(text) as { States: Record<string, any> }, handlers: res.Metadata[LOCAL_HANDLERS_METADATA] };
}

test('the approval loop is valid ASL and runs one handler for every state', () => {
  const { def, handlers } = synth();
  const r = aslValidator(def, { checkPaths: true });
  expect(r.errorsText('\n')).toBe('');
  for (const s of [
    'Next approval step',
    'Await approval',
    'Escalate approval step',
    'Await escalated approval',
    'Expire approval step',
    'Read step decision',
  ]) {
    expect(handlers[s], s).toBe(APPROVAL_STEP_HANDLER);
  }
  expect(def.States['Start approvals']).toMatchObject({
    Type: 'Pass',
    Result: { stepIndex: -1 },
    ResultPath: '$.approvalStep',
    Next: 'Next approval step',
  });
  expect(def.States['More approval steps?'].Choices[0]).toMatchObject({
    Variable: '$.approvalStep.done',
    BooleanEquals: true,
    Next: 'Publish',
  });
  expect(def.States['Step decision']).toMatchObject({
    Choices: [{ Variable: '$.approval.decision', StringEquals: 'approved', Next: 'Next approval step' }],
    Default: 'Record rejection',
  });
});

test('each wait is a task-token wait with the step deadline from the state, escalating then expiring on timeout', () => {
  const { def } = synth();
  for (const [name, onTimeout, phase] of [
    ['Await approval', 'Escalate approval step', 'initial'],
    ['Await escalated approval', 'Expire approval step', 'escalated'],
  ] as const) {
    const s = def.States[name];
    expect(s.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(s.TimeoutSecondsPath).toBe('$.approvalStep.timeoutSeconds');
    expect(s.TimeoutSeconds).toBeUndefined();
    expect(s.Parameters.Payload).toMatchObject({
      'taskToken.$': '$$.Task.Token',
      action: 'wait',
      phase,
      'stepIndex.$': '$.approvalStep.stepIndex',
      'orgId.$': '$.orgId',
    });
    expect(s.ResultPath).toBe('$.approval');
    expect(s.Catch.map((c: { ErrorEquals: string[]; Next: string }) => [c.ErrorEquals.join(), c.Next])).toEqual([
      ['States.Timeout', onTimeout],
      ['Approval.AlreadyDecided', 'Read step decision'],
      ['States.ALL', 'Record failure'],
    ]);
    expect(s.Next).toBe('Step decision');
  }
  expect(def.States['Escalated?']).toMatchObject({
    Choices: [{ Variable: '$.approval.decision', StringEquals: 'pending', Next: 'Await escalated approval' }],
    Default: 'Step decision',
  });
});
