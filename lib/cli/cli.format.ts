import type { DeadLetterEntry, DeadLetterMessage, DeadLetterPage, RedriveReport } from '../dead-letters/index.js';

function cell(value: string | number | undefined, width: number): string {
  const text = value === undefined ? '-' : String(value);
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function kindOf(entry: DeadLetterEntry): string | undefined {
  return entry.failure?.kind ?? (entry.death ? `broker:${entry.death.reason}` : undefined);
}

/** A page as an aligned table, one message per line. */
export function formatPage(page: DeadLetterPage): string {
  const header = `${page.queue}: ${page.total} message(s); showing ${page.entries.length} from position ${page.offset}`;
  if (page.entries.length === 0) return header;
  const widths = [5, 24, 18, 16, 24, 20, 7, 36];
  const row = (values: (string | number | undefined)[]): string => values.map((v, i) => cell(v, widths[i])).join(' ').trimEnd();
  const lines = page.entries.map((e) =>
    row([e.position, e.messageId, e.type, kindOf(e), e.originQueue, e.failedAt?.toISOString(), e.size, e.failure?.reason ?? e.bodyPreview]),
  );
  return [header, row(['#', 'MESSAGE ID', 'TYPE', 'KIND', 'ORIGIN QUEUE', 'FAILED AT', 'BYTES', 'REASON / BODY']), ...lines].join('\n');
}

/** One message in full, field per line, then its headers and body. */
export function formatMessage(message: DeadLetterMessage): string {
  const lines: [string, string | number | undefined][] = [
    ['position', message.position],
    ['message id', message.messageId],
    ['type', message.type],
    ['failure kind', message.failure?.kind],
    ['reason', message.failure?.reason],
    ['error', message.failure?.error],
    ['issues', message.failure?.issues],
    ['failed at', message.failure?.at ?? message.failedAt?.toISOString()],
    ['failed on queue', message.failure?.queue],
    ['consumer', message.failure?.consumer],
    ['broker death', message.death ? `${message.death.reason} in ${message.death.queue} (x${message.death.count})` : undefined],
    ['origin queue', message.originQueue ?? '(unknown: a redrive leaves it)'],
    ['original exchange', message.originalExchange],
    ['original routing key', message.originalRoutingKey],
    ['redrives', message.redriveCount],
    ['size', `${message.size} bytes`],
  ];
  const fields = lines.filter(([, value]) => value !== undefined).map(([name, value]) => `${`${name}:`.padEnd(22)}${value}`);
  return [...fields, 'body:', message.bodyPreview].join('\n');
}

/** A peeked message for JSON output: the body as text, or base64 when it is not valid UTF-8. */
export function messageJson(message: DeadLetterMessage): Record<string, unknown> {
  const { body, ...rest } = message;
  const text = body.toString('utf8');
  const isText = Buffer.from(text, 'utf8').equals(body);
  return { ...rest, body: isText ? text : body.toString('base64'), bodyEncoding: isText ? 'utf8' : 'base64' };
}

/** What a redrive did, as a few lines. */
export function formatReport(report: RedriveReport): string {
  const verb = report.dryRun ? 'would move' : 'moved';
  const lines = [`${report.queue}: examined ${report.examined}, ${verb} ${report.moved.length}`];
  for (const item of report.moved) lines.push(`  ${verb}: ${item.messageId ?? '(no id)'} -> ${item.to}`);
  for (const item of report.unresolved) lines.push(`  left (origin unknown): ${item.messageId ?? '(no id)'} at position ${item.position}`);
  for (const item of report.failed) lines.push(`  left (publish failed): ${item.messageId ?? '(no id)'} -> ${item.to}: ${item.error}`);
  for (const item of report.refused) lines.push(`  left (destination refused): ${item.messageId ?? '(no id)'} -> ${item.to}: ${item.error.reason}`);
  for (const item of report.duplicated) lines.push(`  duplicated (sent, but still in the queue too): ${item.messageId ?? '(no id)'}`);
  for (const id of report.missingIds) lines.push(`  not found: ${id}`);
  return lines.join('\n');
}
