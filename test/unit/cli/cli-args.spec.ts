import { describe, expect, it } from '@jest/globals';
import { CliUsageError, parseCliArgs, parseDuration } from '../../../lib/cli/index.js';

describe('dlq CLI arguments', () => {
  const env = { AMQP_URL: 'amqp://u:p@h' };

  it('parses each command, taking the URL from --url or AMQP_URL', () => {
    expect(parseCliArgs(['dlq', 'list', 'q', '--offset', '5', '--limit', '10', '--json'], env)).toMatchObject({
      name: 'list', queue: 'q', offset: 5, limit: 10, json: true, url: 'amqp://u:p@h',
    });
    expect(parseCliArgs(['dlq', 'peek', 'q', 'id-1', '--url', 'amqp://x'], env)).toMatchObject({ name: 'peek', messageId: 'id-1', url: 'amqp://x' });
    expect(parseCliArgs(['dlq', 'redrive', 'q', '--id', 'a', '--id', 'b'], env)).toMatchObject({ selection: { ids: ['a', 'b'] }, dryRun: false, to: [] });
    expect(parseCliArgs(['dlq', 'redrive', 'q.error', '--all', '--to', 'q', '--to', 'r'], env)).toMatchObject({ selection: { all: true }, to: ['q', 'r'] });
    expect(parseCliArgs(['dlq', 'redrive', 'q', '--kind', 'handler', '--older-than', '10m', '--dry-run'], env)).toMatchObject({
      selection: { kind: 'handler', olderThanMs: 600_000 },
      dryRun: true,
    });
    expect(parseCliArgs(['dlq', 'purge', 'q', '-y'], env)).toMatchObject({ name: 'purge', yes: true });
    expect(parseCliArgs([], env)).toEqual({ name: 'help' });
  });

  it.each([
    [['dlq', 'list']],
    [['dlq', 'nope', 'q']],
    [['queue', 'list', 'q']],
    [['dlq', 'list', 'q', '--limit', '-1']],
    [['dlq', 'list', 'q', '--bogus']],
    [['dlq', 'redrive', 'q']],
    [['dlq', 'redrive', 'q', '--all', '--kind', 'handler']],
    [['dlq', 'redrive', 'q', '--older-than', 'soon']],
    [['dlq', 'peek', 'q']],
  ])('rejects %j as a usage error', (argv) => {
    expect(() => parseCliArgs(argv, env)).toThrow(CliUsageError);
  });

  it('refuses --url with a password (ps shows every argument to every user); takes it from AMQP_URL or --url-file', () => {
    for (const url of ['amqp://guest:Sup3rSecret@127.0.0.1:5672', 'amqps://u:p@h/vhost', 'amqp://u:p@h:notaport']) {
      expect(() => parseCliArgs(['dlq', 'list', 'q', '--url', url], {})).toThrow(CliUsageError);
      expect(() => parseCliArgs(['dlq', 'list', 'q', '--url', url], {})).toThrow(/password.*process list.*AMQP_URL.*--url-file/);
    }
    try {
      parseCliArgs(['dlq', 'list', 'q', '--url', 'amqp://guest:Sup3rSecret@h'], {});
    } catch (error) {
      expect(String(error)).not.toContain('Sup3rSecret');
    }
    // Without a password (a user name alone, or none) --url is fine.
    expect(parseCliArgs(['dlq', 'list', 'q', '--url', 'amqp://guest@h'], {})).toMatchObject({ url: 'amqp://guest@h', urlFile: undefined });
    expect(parseCliArgs(['dlq', 'list', 'q', '--url-file', '/run/secrets/amqp'], env)).toMatchObject({ url: undefined, urlFile: '/run/secrets/amqp' });
    expect(() => parseCliArgs(['dlq', 'list', 'q', '--url-file', 'f', '--url', 'amqp://h'], env)).toThrow(/either --url or --url-file/);
  });

  it('reads durations', () => {
    expect([parseDuration('90s'), parseDuration('2h'), parseDuration('1d'), parseDuration('500ms'), parseDuration('30')]).toEqual([
      90_000, 7_200_000, 86_400_000, 500, 30_000,
    ]);
    expect(parseDuration('10 minutes')).toBeUndefined();
  });
});
