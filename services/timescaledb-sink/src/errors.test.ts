import { classifyDbError, errorClassName } from './errors';

describe('classifyDbError', () => {
  it.each([
    [{ code: '22003', message: 'numeric field overflow' }, 'record'],
    [
      {
        code: '22P02',
        message: 'invalid input syntax for type double precision',
      },
      'record',
    ],
    [
      { code: '22008', message: 'date/time field value out of range' },
      'record',
    ],
    [{ code: '23502', message: 'null value in column' }, 'record'],
    [
      {
        code: '57P01',
        message: 'terminating connection due to administrator command',
      },
      'transient',
    ],
    [
      { code: '57P03', message: 'the database system is starting up' },
      'transient',
    ],
    [{ code: '08006', message: 'connection failure' }, 'transient'],
    [{ code: '53300', message: 'too many connections' }, 'transient'],
    [
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' },
      'transient',
    ],
    [new Error('Connection terminated unexpectedly'), 'transient'],
    [new Error('timeout exceeded when trying to connect'), 'transient'],
    [new Error('Query read timeout'), 'transient'],
    [
      { code: '42P01', message: 'relation "energy_readings" does not exist' },
      'blocking',
    ],
    [
      { code: '42501', message: 'permission denied for table energy_readings' },
      'blocking',
    ],
  ])('%j is %s', (err, expected) => {
    expect(classifyDbError(err)).toBe(expected);
  });

  it('names the SQLSTATE for the DLQ header', () => {
    expect(errorClassName({ code: '22003' })).toBe('db-22003');
    expect(errorClassName(new Error('x'))).toBe('db-error');
  });
});
