import type { DeadLetterEntry, DeadLetterMessage, DeadLetterPage, RedriveReport } from '../dead-letters/index.js';
import type { HeaderValue } from '../transports/transport.interface.js';
import { escapeControls } from './cli.escape.js';

// Every value below comes from a message someone else wrote (or from the broker): each goes through
// escapeControls before it is printed, so none can drive the terminal or forge a line.

/** A possibly missing value as safe text. */
function shown(value: string | number | undefined): string | undefined {
  return value === undefined ? undefined : escapeControls(String(value));
}

function cell(value: string | number | undefined, width: number): string {
  // Escaped before it is cut to width, so the column counts what the terminal shows.
  const text = value === undefined ? '-' : escapeControls(String(value));
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
}

function kindOf(entry: DeadLetterEntry): string | undefined {
  return entry.failure?.kind ?? (entry.death ? `broker:${entry.death.reason}` : undefined);
}

/** A page as an aligned table, one message per line. */
export function formatPage(page: DeadLetterPage): string {
  const header = `${escapeControls(page.queue)}: ${page.total} message(s); showing ${page.entries.length} from position ${page.offset}`;
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
  const fields = lines.filter(([, value]) => value !== undefined).map(([name, value]) => `${`${name}:`.padEnd(22)}${shown(value)}`);
  const headers = Object.entries(message.headers).map(([name, value]) => `  ${escapeControls(name)}: ${escapeControls(headerText(value))}`);
  return [...fields, 'headers:', ...headers, 'body:', escapeControls(message.bodyPreview)].join('\n');
}

/** A header value as one line of text: Buffers as UTF-8 (base64 when not text), tables and arrays as JSON. */
function headerText(value: HeaderValue): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return bufferText(value);
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value, (_key, inner: unknown) => (isSerializedBuffer(inner) ? bufferText(Buffer.from(inner.data)) : inner));
}

function bufferText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : `base64:${bytes.toString('base64')}`;
}

/** JSON.stringify calls Buffer#toJSON before the replacer sees the value. */
function isSerializedBuffer(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data);
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
  const id = (messageId: string | undefined): string => shown(messageId) ?? '(no id)';
  const lines = [`${escapeControls(report.queue)}: examined ${report.examined}, ${verb} ${report.moved.length}`];
  for (const item of report.moved) lines.push(`  ${verb}: ${id(item.messageId)} -> ${shown(item.to)}`);
  for (const item of report.unresolved) lines.push(`  left (origin unknown): ${id(item.messageId)} at position ${item.position}`);
  for (const item of report.failed) lines.push(`  left (publish failed): ${id(item.messageId)} -> ${shown(item.to)}: ${shown(item.error)}`);
  for (const item of report.refused) lines.push(`  left (destination refused): ${id(item.messageId)} -> ${shown(item.to)}: ${shown(item.error.reason)}`);
  for (const item of report.duplicated) lines.push(`  duplicated (sent, but still in the queue too): ${id(item.messageId)}`);
  for (const missing of report.missingIds) lines.push(`  not found: ${escapeControls(missing)}`);
  return lines.join('\n');
}
