import { nestingDepth } from './deviceBounds';

describe('nestingDepth', () => {
  it.each([
    ['{}', 1],
    ['{"a":{"b":[1,[2]]}}', 4],
    ['{"a":"[[[[{{{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['[[[[[[[[[[', 10],
  ])('%s is %d deep', (text, depth) => {
    expect(nestingDepth(text, 100)).toBe(depth);
  });

  it('stops counting just past the limit', () => {
    expect(nestingDepth('['.repeat(100_000), 8)).toBe(9);
  });
});
