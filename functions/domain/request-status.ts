/**
 * The content request status machine: which statuses exist, which are final, and which moves are
 * allowed. Workflow tasks, the API (cancel/retry) and the local runner's restart recovery all ask
 * this module, so an out-of-order or late write (a task finishing after a cancel, an old run after
 * a retry) is refused in one place.
 */

export const requestStatuses = [
  'queued',
  'validating',
  'sourcing',
  'composing',
  'checking',
  'rendering',
  'awaiting_approval',
  'approved',
  'publishing',
  'published',
  'rejected',
  'changes_requested',
  'failed',
  'cancelled',
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** Nothing runs any more for the current run; only a re-drive (new run) may move the request. */
export const terminalStatuses: readonly RequestStatus[] = [
  'published',
  'rejected',
  'changes_requested',
  'failed',
  'cancelled',
];
/** A workflow execution is working on the request (or is about to): neither final nor waiting on a person. */
export const inFlightStatuses: readonly RequestStatus[] = requestStatuses.filter(
  (s) => s !== 'awaiting_approval' && !terminalStatuses.includes(s),
);

export const isTerminal = (s: RequestStatus) => terminalStatuses.includes(s);
export const isInFlight = (s: RequestStatus) => inFlightStatuses.includes(s);

/** Forward moves made by the workflow itself. */
const forward: Record<RequestStatus, readonly RequestStatus[]> = {
  queued: ['validating'],
  // A brief that cannot pass is rejected before anything is paid for.
  validating: ['sourcing', 'rejected'],
  sourcing: ['composing'],
  composing: ['checking'],
  // A master that already fails the brand is rejected without rendering variants.
  checking: ['rendering', 'rejected'],
  rendering: ['awaiting_approval', 'approved', 'rejected'],
  awaiting_approval: ['approved', 'rejected', 'changes_requested'],
  approved: ['publishing'],
  publishing: ['published'],
  published: [],
  rejected: [],
  changes_requested: [],
  failed: [],
  cancelled: [],
};

/**
 * True when `from -> to` is allowed. Staying in the same status is allowed (tasks are retried and
 * re-driven); any non-terminal status may fail or be cancelled; any status except `published` may
 * be re-driven back to `queued` (a new run).
 */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  if (from === to) return true;
  if (to === 'queued') return canRedrive(from);
  if (to === 'failed' || to === 'cancelled') return !isTerminal(from);
  return forward[from].includes(to);
}

/** A new run may start from any status but `published` (what was published stays published). */
export const canRedrive = (s: RequestStatus) => s !== 'published' && s !== 'publishing';
/** Statuses a user may cancel from. */
export const canCancel = (s: RequestStatus) => !isTerminal(s);
/** Statuses from which a user-triggered retry makes sense (the run ended without publishing). */
export const userRetryableStatuses: readonly RequestStatus[] = ['failed', 'cancelled', 'rejected', 'changes_requested'];
