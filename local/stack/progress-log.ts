/**
 * Turns the local runner's events into one console line per step transition, so `npm start`
 * shows each request moving through the workflow (task states and the Map only; choices and
 * pass states are noise here).
 */
import type { WorkflowEvent } from '../workflow/local-runner.js';

const SHOWN = new Set(['Task', 'Map']);

export function createProgressLogger(log: (line: string) => void): (e: WorkflowEvent) => void {
  const entered = new Map<string, number>();
  const types = new Map<string, string>();
  const key = (e: { executionName: string; state: string; mapIndex?: number }) =>
    `${e.executionName}|${e.state}|${e.mapIndex ?? ''}`;
  return (e) => {
    const tag = `[req ${e.requestId.slice(0, 8)} r${e.run}]`;
    const where =
      'item' in e && e.item ? ` (${e.item})` : 'mapIndex' in e && e.mapIndex !== undefined ? ` #${e.mapIndex + 1}` : '';
    switch (e.type) {
      case 'execution_started':
        return log(`${tag} started${e.startAt ? ` at ${e.startAt}` : ''}`);
      case 'execution_succeeded':
        return log(`${tag} finished`);
      case 'execution_aborted':
        return log(`${tag} stopped`);
      // Shutdown: one line per request would drown the console; the stack says it once.
      case 'execution_suspended':
        return;
      // The stack reports resumed executions itself (one line for the waiting, one per working).
      case 'execution_resumed':
        return;
      case 'execution_failed':
        return log(`${tag} FAILED ${e.error}: ${e.cause}`);
      case 'state_entered':
        types.set(e.state, e.stateType);
        if (!SHOWN.has(e.stateType)) return;
        entered.set(key(e), e.at);
        return log(`${tag} > ${e.state}${where}`);
      case 'state_exited': {
        if (!SHOWN.has(e.stateType)) return;
        const t0 = entered.get(key(e));
        entered.delete(key(e));
        return log(`${tag}   ${e.state}${where} done${t0 !== undefined ? ` (${e.at - t0} ms)` : ''}`);
      }
      case 'state_retried':
        return log(`${tag}   ${e.state}${where} retrying (attempt ${e.attempt + 1})`);
      case 'state_failed':
        if (!SHOWN.has(types.get(e.state) ?? 'Task')) return;
        return log(`${tag}   ${e.state}${where} failed: ${e.error}${e.cause ? ` - ${e.cause.slice(0, 200)}` : ''}`);
      case 'waiting_for_token':
        return e.resumed ? undefined : log(`${tag}   ${e.state}: waiting for a decision`);
    }
  };
}
