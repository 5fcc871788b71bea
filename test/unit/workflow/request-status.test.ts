import { expect, test } from 'vitest';
import { canTransition, requestStatuses, terminalStatuses } from '../../../functions/domain/request-status.js';
import { failureFrom, routeAfterCompliance, stateLabel } from '../../../functions/domain/pipeline.js';

test('the workflow moves forward only along its path; nothing moves a terminal request but a new run', () => {
  expect(canTransition('queued', 'validating')).toBe(true);
  expect(canTransition('validating', 'rejected')).toBe(true);
  expect(canTransition('rendering', 'awaiting_approval')).toBe(true);
  expect(canTransition('queued', 'rendering')).toBe(false);
  expect(canTransition('awaiting_approval', 'publishing')).toBe(false);
  for (const t of terminalStatuses) {
    for (const to of requestStatuses.filter((s) => s !== t && s !== 'queued'))
      expect(canTransition(t, to), `${t}->${to}`).toBe(false);
  }
  expect(canTransition('cancelled', 'queued')).toBe(true);
  expect(canTransition('published', 'queued')).toBe(false);
  expect(canTransition('sourcing', 'cancelled')).toBe(true);
  expect(canTransition('sourcing', 'sourcing')).toBe(true);
});

test('auto-approval needs both a passing score and a workflow that allows it', () => {
  expect(routeAfterCompliance('reject', { allowAutoApprove: true })).toBe('auto_reject');
  expect(routeAfterCompliance('pass', { allowAutoApprove: true })).toBe('auto_approve');
  expect(routeAfterCompliance('pass', { allowAutoApprove: false })).toBe('approval');
  expect(routeAfterCompliance('pass', null)).toBe('approval');
  expect(routeAfterCompliance('review', { allowAutoApprove: true })).toBe('approval');
});

test('a caught error becomes {state, code, message} whether the cause is a Lambda JSON or plain text', () => {
  const lambdaCause = JSON.stringify({
    errorType: 'Permanent.provider_misconfigured',
    errorMessage: 'The Freepik API key was refused (401)',
    trace: [],
  });
  expect(failureFrom({ Error: 'Permanent.provider_misconfigured', Cause: lambdaCause }, stateLabel('source'))).toEqual({
    state: 'Source image',
    code: 'provider_misconfigured',
    message: 'The Freepik API key was refused (401)',
    error: 'Permanent.provider_misconfigured',
  });
  expect(failureFrom({ Error: 'States.Timeout', Cause: '' }, stateLabel('render:facebook'))).toMatchObject({
    state: 'Render variant (facebook)',
    code: 'timeout',
    message: 'Render variant (facebook) did not finish in time',
  });
  expect(
    failureFrom({ Error: 'Transient.upstream_unavailable', Cause: 'Freepik is unavailable' }, 'Source image'),
  ).toMatchObject({ code: 'upstream_unavailable' });
  expect(failureFrom({ Error: 'TypeError', Cause: 'x is undefined' }, 'Decide')).toMatchObject({
    code: 'internal',
    message: 'x is undefined',
  });
});
