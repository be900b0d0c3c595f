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
        code: '54000',
        message:
          'index row size 3024 exceeds btree version 4 maximum 2704 for index',
      },
      'record',
    ],
    [
      {
        code: '57014',
        message: 'canceling statement due to statement timeout',
      },
      'record',
    ],
    [{ code: '40001', message: 'could not serialize access' }, 'transient'],
    [{ code: '40P01', message: 'deadlock detected' }, 'transient'],
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
    [new Error('something unexpected'), 'refused'],
    [
      { code: '42P01', message: 'relation "energy_readings" does not exist' },
      'refused',
    ],
    [
      { code: '42501', message: 'permission denied for table energy_readings' },
      'refused',
    ],
  ])('%j is %s', (err, expected) => {
    expect(classifyDbError(err)).toBe(expected);
  });

  it('names the SQLSTATE for the DLQ header', () => {
    expect(errorClassName({ code: '22003' })).toBe('db-22003');
    expect(errorClassName(new Error('x'))).toBe('db-error');
  });
});
