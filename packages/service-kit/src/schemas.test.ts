import { flag, positiveInt, topicName } from './schemas';

describe('shared config schemas', () => {
  it('reads flags from booleans and the strings env substitution yields', () => {
    expect(flag.parse(true)).toBe(true);
    expect(flag.parse('false')).toBe(false);
    expect(flag.parse('true')).toBe(true);
    expect(flag.parse('no')).toBe(false);
    expect(flag.safeParse('ture').error?.issues[0].message).toBe(
      'must be true or false',
    );
    expect(flag.safeParse(1).success).toBe(false);
  });

  it('coerces positive integers and refuses zero, fractions and words', () => {
    expect(positiveInt.parse('12')).toBe(12);
    for (const bad of [0, -1, 1.5, 'many'])
      expect(positiveInt.safeParse(bad).success).toBe(false);
  });

  it("accepts Kafka's topic names only", () => {
    expect(topicName.parse('homelab.energy_v2-a')).toBe('homelab.energy_v2-a');
    for (const bad of ['', 'a b', 'a/b', 'x'.repeat(250), 'ü'])
      expect(topicName.safeParse(bad).success).toBe(false);
  });
});
