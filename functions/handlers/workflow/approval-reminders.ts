/**
 * Scheduled (every 5 minutes is plenty): sends the reminders that are due. Each approver who has
 * not answered gets a fresh link; the previous one stops working.
 */
import { approvalServices } from '../../handlers/composition/approvals.js';
import { sendDueReminders } from '../../app/approvals/reminders.js';

export const handler = async (): Promise<{ steps: number; emails: number }> => sendDueReminders(approvalServices());
