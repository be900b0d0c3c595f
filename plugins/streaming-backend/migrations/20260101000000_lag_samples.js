// @ts-check

/**
 * One row per group, topic-partition and sampling run. Rows of one run share
 * `sampled_at`, so a group's total lag over time is a GROUP BY on it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('lag_samples', table => {
    table.bigIncrements('id');
    table.string('cluster').notNullable();
    table.string('group_id').notNullable();
    table.string('topic').notNullable();
    table.integer('partition').notNullable();
    table
      .bigInteger('committed_offset')
      .nullable()
      .comment('null: the group has no committed offset');
    table.bigInteger('log_start_offset').notNullable();
    table.bigInteger('high_watermark').notNullable();
    table.timestamp('sampled_at', { useTz: true }).notNullable();
    table.index(
      ['cluster', 'group_id', 'sampled_at'],
      'lag_samples_group_time_idx',
    );
    table.index(['sampled_at'], 'lag_samples_time_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('lag_samples');
};
