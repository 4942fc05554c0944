import { describe, expect, it } from 'vitest';
import { notifyRetryDelay, webhookHeaders, webhookId, webhookSignature } from '../../src/monitor/notification.ts';

describe('webhookSignature', () => {
  it("matches the Standard Webhooks reference implementation's example", () => {
    // The example of the spec's reference libraries (svix / standard-webhooks).
    const signature = webhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('headers: the same id at every attempt, the timestamp in seconds, the signature over id.timestamp.body', () => {
    const headers = webhookHeaders('a-plain-secret-0123456789', webhookId({ monitorId: 'm-1' }), 1_700_000_000_999, '{}');
    expect(headers).toEqual({
      'webhook-id': 'jobwatch:m-1', 'webhook-timestamp': '1700000000',
      'webhook-signature': webhookSignature('a-plain-secret-0123456789', 'jobwatch:m-1', 1_700_000_000, '{}'),
    });
  });
});

describe('notifyRetryDelay', () => {
  it.each([
    { attempts: 1, jitter: 0, delay: 500 },
    { attempts: 1, jitter: 0.999, delay: 1_000 },
    { attempts: 3, jitter: 0, delay: 2_000 },
    { attempts: 30, jitter: 0, delay: 30_000 },
  ])('after $attempts attempts, jitter $jitter: $delay ms', ({ attempts, jitter, delay }) => {
    expect(notifyRetryDelay(attempts, { baseMs: 1_000, maxMs: 60_000 }, jitter)).toBe(delay);
  });
});
