import {
  aggregateName,
  aggregateNames,
  DEFAULT_HYPERTABLES,
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
