/** Test support of @payapi/events: a recording webhook receiver and a test certificate for `https` receivers. */
export { startWebhookReceiver } from './webhook-receiver.ts';
export type { ReceivedWebhook, ReceiverAnswer, ReceiverOptions, WebhookReceiver } from './webhook-receiver.ts';
export { createTestCertificate } from './test-certificate.ts';
