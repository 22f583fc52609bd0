import { describe, expect, it } from '@jest/globals';
import type { DeadLetterMessage, DeadLetterPage, RedriveReport } from '../../../lib/dead-letters/index.js';
import { RedriveDestinationError } from '../../../lib/dead-letters/index.js';
import { escapeControls, jsonText } from '../../../lib/cli/cli.escape.js';
import { formatMessage, formatPage, formatReport, messageJson } from '../../../lib/cli/cli.format.js';

/** Every character a terminal may act on instead of showing: C0 (newline and tab included), DEL, C1. */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same, but a line break between lines of output is layout, not content. */
const RAW_CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// An attacker-chosen string: clear screen, a title change (OSC ... BEL), a C1 CSI colour, DEL, a CR that
// overwrites the line, and a newline that forges a field of its own.
const HOSTILE = 'x\u001b[2J\u001b]0;pwned\u0007\u009b31mred\u007f\rkind: validation\nforged';

function hostileMessage(): DeadLetterMessage {
  return {
    position: 0,
    messageId: `id-${HOSTILE}`,
    type: `Type${HOSTILE}`,
    failure: { kind: 'handler', reason: `reason ${HOSTILE}`, error: `Err${HOSTILE}`, queue: `q${HOSTILE}`, consumer: `C.${HOSTILE}`, at: HOSTILE },
    death: { reason: `rejected${HOSTILE}`, queue: `dq${HOSTILE}`, exchange: undefined, routingKeys: [], count: 1, time: undefined, firstQueue: undefined },
    originQueue: `origin${HOSTILE}`,
    originalExchange: `ex${HOSTILE}`,
    originalRoutingKey: `rk${HOSTILE}`,
    failedAt: undefined,
    redriveCount: 0,
    size: 10,
    bodyPreview: `{"a":"${HOSTILE}"}`,
    contentType: 'application/json',
    body: Buffer.from(`{"a":"${HOSTILE}"}`),
    properties: {},
    headers: { [`x-evil${HOSTILE}`]: `value${HOSTILE}`, 'x-list': [HOSTILE, 1], 'x-bytes': Buffer.from(HOSTILE) },
  };
}

describe('dlq CLI output escapes control characters in every printed field', () => {
  it('escapeControls shows C0, DEL, C1 and ESC sequences as visible escapes, and leaves text alone', () => {
    expect(escapeControls(HOSTILE)).toBe('x\\x1b[2J\\x1b]0;pwned\\x07\\x9b31mred\\x7f\\rkind: validation\\nforged');
    expect(escapeControls('plain text, é, 日本, emoji 🙂')).toBe('plain text, é, 日本, emoji 🙂');
    expect(escapeControls('bidi \u202e reversed \u2066')).toBe('bidi \\u202e reversed \\u2066');
  });

  it('peek output: header names and values, ids, queues, reasons and body carry no raw control character', () => {
    const text = formatMessage(hostileMessage());
    expect(text).not.toMatch(RAW_CONTROL_BUT_NEWLINE);
    // No field can forge a line: each line of output is a field, "headers:", a header or "body:".
    for (const line of text.split('\n')) expect(line).toMatch(/^([a-z ]+:|headers:|body:| {2}\S|\{)/);
    expect(text).toContain('x-evilx\\x1b[2J');
    expect(text).toMatch(/message id:\s+id-x\\x1b\[2J/);
    expect(text).toContain('\\x9b31mred\\x7f\\rkind: validation\\nforged');
  });

  it('list and redrive output carry none either', () => {
    const m = hostileMessage();
    const page: DeadLetterPage = { queue: `dlq${HOSTILE}`, total: 1, offset: 0, limit: 50, entries: [m] };
    expect(formatPage(page)).not.toMatch(RAW_CONTROL_BUT_NEWLINE);
    expect(formatPage(page).split('\n')).toHaveLength(3);
    const report: RedriveReport = {
      queue: `dlq${HOSTILE}`,
      dryRun: false,
      examined: 3,
      moved: [{ messageId: `m${HOSTILE}`, to: `to${HOSTILE}`, position: 0 }],
      unresolved: [{ messageId: `u${HOSTILE}`, position: 1 }],
      failed: [{ messageId: `f${HOSTILE}`, to: `to${HOSTILE}`, error: `e${HOSTILE}`, position: 2 }],
      refused: [{ messageId: `r${HOSTILE}`, to: `to${HOSTILE}`, position: 4, error: new RedriveDestinationError('dlq', `to${HOSTILE}`, `reason${HOSTILE}`) }],
      duplicated: [{ messageId: `d${HOSTILE}`, position: 3 }],
      missingIds: [`missing${HOSTILE}`],
    } as unknown as RedriveReport;
    expect(formatReport(report)).not.toMatch(RAW_CONTROL_BUT_NEWLINE);
    expect(formatReport(report).split('\n')).toHaveLength(7);
  });

  it('--json output escapes DEL, C1 and bidi controls too (JSON.stringify leaves them raw) and still parses to the same data', () => {
    const json = jsonText(messageJson(hostileMessage()));
    expect(json).not.toMatch(RAW_CONTROL_BUT_NEWLINE);
    expect(JSON.stringify('\u009b\u007f')).toMatch(/[\u007f-\u009f]/); // why jsonText exists
    expect((JSON.parse(json) as { messageId: string }).messageId).toBe(`id-${HOSTILE}`);
    expect(jsonText({ s: 'a\u202eb' })).toBe('{\n  "s": "a\\u202eb"\n}');
  });
});
