/**
 * Wording of approval emails. Plain text: the review link is the only call to action, and the
 * email says what the link does (opening it decides nothing).
 */
export type LinkReason = 'initial' | 'escalated' | 'delegated' | 'reminder';

export interface ReviewEmailInput {
  reason: LinkReason;
  approverName: string;
  brandName: string;
  headline: string;
  stepName: string;
  stepNumber: number;
  stepCount: number;
  dueAt: Date;
  url: string;
  /** Delegations: who handed the review over. */
  fromName?: string;
}

export function reviewEmail(i: ReviewEmailInput): { subject: string; text: string } {
  const step = i.stepCount > 1 ? ` (step ${i.stepNumber} of ${i.stepCount}: ${i.stepName})` : '';
  const subjects: Record<LinkReason, string> = {
    initial: `Review needed: ${i.headline}${step}`,
    escalated: `Escalated review: ${i.headline}${step}`,
    delegated: `${i.fromName ?? 'A colleague'} asked you to review: ${i.headline}`,
    reminder: `Reminder: review needed for ${i.headline}${step}`,
  };
  const intro: Record<LinkReason, string> = {
    initial: `new content for ${i.brandName} is waiting for your review${step}.`,
    escalated: `the review of this ${i.brandName} content was not completed in time and has been escalated to you${step}.`,
    delegated: `${i.fromName ?? 'a colleague'} delegated the review of this ${i.brandName} content to you${step}.`,
    reminder: `this ${i.brandName} content is still waiting for your review${step}.`,
  };
  const text = [
    `Hello ${i.approverName},`,
    '',
    intro[i.reason].charAt(0).toUpperCase() + intro[i.reason].slice(1),
    '',
    `Headline: ${i.headline}`,
    `Please answer by: ${i.dueAt.toUTCString()}`,
    '',
    'Open the review page (the link is personal and works once; opening it decides nothing):',
    i.url,
    '',
    'You can approve, reject with a reason, request changes, or delegate to a colleague.',
  ].join('\n');
  return { subject: subjects[i.reason].slice(0, 200), text };
}
