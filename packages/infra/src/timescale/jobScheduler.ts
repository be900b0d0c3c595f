import type { Session } from './sessionQueue';
import { parseReply, simpleQuery, WireError } from './wire';

/*
 * PGlite has no background workers, so TimescaleDB's policies (compression,
 * continuous-aggregate refresh, retention) are registered but never run.
 * This stands in for TimescaleDB's job scheduler in the process that owns
 * the PGlite instance: every tick it runs each due job with `CALL run_job`
 * and records the run where the real scheduler does
 * (`_timescaledb_internal.bgw_job_stat` and `bgw_job_stat_history`), so
 * `timescaledb_information.job_stats` and `job_errors` read the same as on a
 * TimescaleDB server. `run_job` itself records nothing.
 */

/** Our session in pglite-socket's queue; socket clients count up from 1. */
const SCHEDULER_SESSION = -1;

export interface DueJob {
  id: number;
  proc: string;
}

export interface JobRun {
  jobId: number;
  proc: string;
  startedAt: Date;
  finishedAt: Date;
  error?: WireError;
}

/** SQL text literal; the scheduler's own values only, never client input. */
const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

const DUE_JOBS = `
  SELECT j.id, j.proc_schema || '.' || j.proc_name
    FROM _timescaledb_config.bgw_job j
    LEFT JOIN _timescaledb_internal.bgw_job_stat s ON s.job_id = j.id
   WHERE j.scheduled AND (s.next_start IS NULL OR s.next_start <= now())
   ORDER BY s.next_start NULLS FIRST, j.id`;

/**
 * The bookkeeping the scheduler does after a run. After a failure the next
 * try waits `retry_period`, doubling with each consecutive failure up to the
 * schedule interval, so a job that cannot succeed is retried at most once per
 * interval, like TimescaleDB's own scheduler.
 */
function recordRun(run: JobRun): string {
  const ok = run.error === undefined;
  const start = `${literal(run.startedAt.toISOString())}::timestamptz`;
  const finish = `${literal(run.finishedAt.toISOString())}::timestamptz`;
  const errorData = ok
    ? 'NULL::jsonb'
    : `jsonb_strip_nulls(jsonb_build_object('message', ${literal(
        run.error!.message,
      )}, 'detail', ${
        run.error!.detail === undefined ? 'NULL' : literal(run.error!.detail)
      }, 'hint', ${
        run.error!.hint === undefined ? 'NULL' : literal(run.error!.hint)
      }, 'sqlerrcode', ${
        run.error!.sqlerrcode === undefined
          ? 'NULL'
          : literal(run.error!.sqlerrcode)
      }))`;
  return `
    WITH job AS (SELECT * FROM _timescaledb_config.bgw_job WHERE id = ${
      run.jobId
    }),
    previous AS (SELECT * FROM _timescaledb_internal.bgw_job_stat WHERE job_id = ${
      run.jobId
    }),
    failures AS (SELECT CASE WHEN ${ok} THEN 0 ELSE COALESCE((SELECT consecutive_failures FROM previous), 0) + 1 END AS n),
    stat AS (
      INSERT INTO _timescaledb_internal.bgw_job_stat AS s (
        job_id, last_start, last_finish, next_start, last_successful_finish, last_run_success,
        total_runs, total_duration, total_duration_failures, total_successes, total_failures,
        total_crashes, consecutive_failures, consecutive_crashes, flags)
      SELECT job.id, ${start}, ${finish},
             CASE WHEN ${ok} THEN ${finish} + job.schedule_interval
                  ELSE ${finish} + LEAST(job.retry_period * power(2, LEAST((SELECT n FROM failures) - 1, 20)), GREATEST(job.schedule_interval, job.retry_period))
             END,
             CASE WHEN ${ok} THEN ${finish} ELSE '-infinity'::timestamptz END, ${ok},
             1, ${finish} - ${start}, CASE WHEN ${ok} THEN interval '0' ELSE ${finish} - ${start} END,
             ${ok ? 1 : 0}, ${ok ? 0 : 1}, 0, (SELECT n FROM failures), 0, 0
        FROM job
      ON CONFLICT (job_id) DO UPDATE SET
        last_start = EXCLUDED.last_start, last_finish = EXCLUDED.last_finish, next_start = EXCLUDED.next_start,
        last_successful_finish = CASE WHEN ${ok} THEN EXCLUDED.last_successful_finish ELSE s.last_successful_finish END,
        last_run_success = EXCLUDED.last_run_success, total_runs = s.total_runs + 1,
        total_duration = s.total_duration + EXCLUDED.total_duration,
        total_duration_failures = s.total_duration_failures + EXCLUDED.total_duration_failures,
        total_successes = s.total_successes + EXCLUDED.total_successes,
        total_failures = s.total_failures + EXCLUDED.total_failures,
        consecutive_failures = EXCLUDED.consecutive_failures
      RETURNING job_id)
    INSERT INTO _timescaledb_internal.bgw_job_stat_history (job_id, pid, execution_start, execution_finish, succeeded, data)
    SELECT job.id, pg_backend_pid(), ${start}, ${finish}, ${ok},
           jsonb_strip_nulls(jsonb_build_object('job', to_jsonb(job), 'error_data', ${errorData}))
      FROM job, stat`;
}

export class JobScheduler {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private running?: Promise<JobRun[]>;

  constructor(
    private readonly session: Session,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  private async query(sql: string) {
    return parseReply(
      await this.session.send(SCHEDULER_SESSION, simpleQuery(sql)),
    );
  }

  async dueJobs(): Promise<DueJob[]> {
    const reply = await this.query(DUE_JOBS);
    if (reply.error)
      throw new Error(`cannot list TimescaleDB jobs: ${reply.error.message}`);
    return reply.rows.map(([id, proc]) => ({
      id: Number(id),
      proc: proc ?? '',
    }));
  }

  /** Runs every due job once, one after the other; one tick at a time. */
  tick(): Promise<JobRun[]> {
    if (!this.running) {
      this.running = this.runDue().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async runDue(): Promise<JobRun[]> {
    const runs: JobRun[] = [];
    for (const job of await this.dueJobs()) {
      const startedAt = new Date();
      const reply = await this.query(`CALL run_job(${job.id})`);
      const run: JobRun = {
        jobId: job.id,
        proc: job.proc,
        startedAt,
        finishedAt: new Date(),
        error: reply.error,
      };
      const recorded = await this.query(recordRun(run));
      if (recorded.error)
        this.log(
          `job ${job.id} (${job.proc}): cannot record the run: ${recorded.error.message}`,
        );
      this.log(
        `job ${job.id} (${job.proc}) ${
          run.error ? `failed: ${run.error.message}` : 'succeeded'
        }`,
      );
      runs.push(run);
    }
    return runs;
  }

  start(intervalMs: number) {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.tick().catch(error =>
          this.log(
            `job scheduler: ${error instanceof Error ? error.message : error}`,
          ),
        );
        loop();
      }, intervalMs);
    };
    loop();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
