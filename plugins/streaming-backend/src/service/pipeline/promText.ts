/**
 * A reader for the Prometheus text exposition format (version 0.0.4), the
 * format prom-client serves on `/metrics`. prom-client itself only writes it,
 * and the pipeline view needs no more than sample names, labels and values.
 */

export interface PromSample {
  /** The sample's own name, e.g. `foo_bucket` for a histogram `foo`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape's body is read from a service; bound what it can make us hold. */
export const MAX_SAMPLES = 20_000;
const MAX_LABELS = 32;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return text === '' ? NaN : Number(text);
  }
}

/** Reads `{a="x",b="y\"z"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(
  line: string,
  start: number,
): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  let count = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return [labels, i + 1];
    const name = NAME.exec(line.slice(i))?.[0];
    if (!name) throw new Error(`bad label name at column ${i + 1}`);
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"')
      throw new Error(`label ${name} has no quoted value`);
    i += 2;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error(`label ${name} is not closed`);
      if (c === '"') break;
      if (c === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next ?? '';
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    i++;
    if (++count > MAX_LABELS) throw new Error('too many labels on one sample');
    labels[name] = value;
  }
  throw new Error('labels are not closed');
}

/**
 * Parses every sample line; comments (`# HELP`, `# TYPE`) are skipped.
 * A malformed line throws with its line number, so the stage can say its
 * metrics are unreadable rather than show a half-read page.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  const counters = new Set<string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    const type = /^#\s*TYPE\s+(\S+)\s+counter\s*$/.exec(line);
    if (type && counters.size < MAX_SAMPLES) counters.add(type[1]);
    if (line === '' || line.startsWith('#')) continue;
    try {
      const name = NAME.exec(line)?.[0];
      if (!name) throw new Error('no metric name');
      let i = name.length;
      let labels: Record<string, string> = {};
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
      const [valueText] = line.slice(i).trim().split(/\s+/);
      const value = parseValue(valueText ?? '');
      if (Number.isNaN(value) && valueText !== 'NaN')
        throw new Error(`"${valueText}" is not a number`);
      samples.push({ name, labels, value });
    } catch (error) {
      throw new Error(
        `metrics line ${n + 1} is not Prometheus text: ${
          (error as Error).message
        }`,
      );
    }
    if (samples.length > MAX_SAMPLES)
      throw new Error(`more than ${MAX_SAMPLES} samples on one metrics page`);
  }
  // prom-client prints a labelled counter's samples only once one was
  // counted: a declared counter without samples has counted nothing yet.
  const seen = new Set(samples.map(s => s.name));
  for (const name of counters)
    if (!seen.has(name)) samples.push({ name, labels: {}, value: 0 });
  return samples;
}
