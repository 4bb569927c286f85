/**
 * The activity vocabulary the webhook normalizers produce. Rules may only name these or the
 * config's `engagement.customActivityTypes`, so a typo is caught at load, not silently scored 0.
 */
export const BUILT_IN_ACTIVITY_TYPES = [
  'email_open',
  'email_click',
  'email_reply',
  'email_bounce',
  'unsubscribe',
  'form_submission',
  'content_download',
  'webinar_registered',
  'webinar_attended',
  'page_view',
  'demo_request',
  'quote_request',
  'meeting_booked',
  'call_logged',
  'sales_email',
  'chat_started',
  'product_signup',
  'product_usage',
] as const;

export type BuiltInActivityType = (typeof BUILT_IN_ACTIVITY_TYPES)[number];
