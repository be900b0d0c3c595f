import { isRecordError, kafkaErrorType } from './kafkaErrors';

describe('Kafka record errors', () => {
  it('finds the type through kafkajs retry wrappers', () => {
    const protocol = Object.assign(new Error('too large'), {
      type: 'MESSAGE_TOO_LARGE',
    });
    const wrapped = Object.assign(new Error('retries exceeded'), {
      cause: protocol,
    });
    expect(kafkaErrorType(wrapped)).toBe('MESSAGE_TOO_LARGE');
    expect(isRecordError(wrapped)).toBe(true);
  });

  it('treats connection errors and unknown ones as "unreachable"', () => {
    expect(isRecordError(new Error('ECONNREFUSED'))).toBe(false);
    expect(
      isRecordError(
        Object.assign(new Error('x'), { type: 'NOT_LEADER_OR_FOLLOWER' }),
      ),
    ).toBe(false);
  });
});
