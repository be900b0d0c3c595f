// Integration and browser tests assert through helpers that fail the test when
// what they wait for never arrives (a row, a record, a page element) or when
// it differs; jest/expect-expect counts these as assertions too.
module.exports = {
  'jest/expect-expect': [
    'warn',
    {
      assertFunctionNames: [
        'expect',
        'expect*',
        'eventually',
        'waitFor*',
        'receive*',
        'asVisitor',
        'step',
      ],
    },
  ],
};
