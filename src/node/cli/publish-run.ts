import { publishRows, type PublishResult } from '../broker/publish.js';
import { formatCount } from './format.js';
import { Progress } from './progress.js';
import type { PublishFlags } from './publish.js';

/** `streamlearn publish`: the rows into the stream, a count on stderr meanwhile, the report at the end. */
export async function runPublish(file: string, flags: PublishFlags): Promise<void> {
  let progress: Progress | undefined;
  let result: PublishResult;
  try {
    result = await publishRows(file, flags.to, {
      label: flags.label,
      classes: flags.classes,
      task: flags.task,
      inputFormat: flags.inputFormat,
      delimiter: flags.delimiter,
      quote: flags.quote,
      features: flags.features,
      exclude: flags.exclude,
      categorical: flags.categorical,
      missing: flags.missing,
      onBadRow: flags.onBadRow,
      maxLineBytes: flags.maxLineBytes,
      rows: flags.rows,
      seed: flags.seed,
      subject: flags.subject,
      encoding: flags.encoding,
      linesPerMessage: flags.linesPerMessage,
      connectTimeout: flags.connectTimeout,
      onProgress: (rows, total) => {
        progress ??= new Progress({ label: 'rows published', total, linesEveryMs: 2000 });
        progress.update(rows);
      },
    });
  } finally {
    progress?.stop();
  }
  if (flags.format === 'json') {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const seqs = result.firstSequence === null ? 'none' : `sequences ${result.firstSequence}-${result.lastSequence}`;
  const dup = result.duplicates > 0 ? `, ${formatCount(result.duplicates)} retried publications the server had already stored` : '';
  process.stdout.write(
    `published ${formatCount(result.rows)} rows in ${formatCount(result.messages)} messages to ${result.stream} ` +
      `(subject ${result.subject}, ${result.encoding}, ${seqs}${dup}) in ${result.seconds.toFixed(1)} s, ${formatCount(result.rowsPerSecond)} rows/s\n` +
      `${result.task === 'regression' ? 'regression: the label is a number to predict' : `classes ${result.classes.join(', ')}`}${result.createdStream ? '; the stream was created' : ''}\n`,
  );
}
