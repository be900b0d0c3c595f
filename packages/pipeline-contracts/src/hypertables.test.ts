import {
  aggregateName,
  aggregateNames,
  DEFAULT_HYPERTABLES,
  quoteIdent,
} from './hypertables';

describe('hypertable names', () => {
  it('names each continuous aggregate after its table', () => {
    expect(aggregateNames(DEFAULT_HYPERTABLES.energy)).toEqual({
      hourly: 'energy_readings_hourly',
      daily: 'energy_readings_daily',
    });
    expect(aggregateName('heatpump_readings', 'hour')).toBe(
      'heatpump_readings_hourly',
    );
    expect(aggregateName('heatpump_readings', 'day')).toBe(
      'heatpump_readings_daily',
    );
  });
});

describe('quoteIdent', () => {
  it('quotes a name so that no text in it can end the identifier', () => {
    expect(quoteIdent('energy_readings')).toBe('"energy_readings"');
    expect(quoteIdent('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    expect(quoteIdent('""')).toBe('""""""');
  });
});
