import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MESSAGING_DEFAULTS } from '../../../lib/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The JSDoc text of property `property` of interface `owner` in a lib file (parsed, not type-checked). */
function propertyDoc(file: string, owner: string, property: string): string {
  const source = ts.createSourceFile(file, readFileSync(`${root}${file}`, 'utf8'), ts.ScriptTarget.ES2022, true);
  let doc: string | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === owner) {
      for (const member of node.members) {
        if (ts.isPropertySignature(member) && member.name.getText(source) === property) {
          doc = ts.getJSDocCommentsAndTags(member).map((d) => d.getText(source)).join('\n');
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (doc === undefined) throw new Error(`${owner}.${property} not found in ${file}`);
  return doc;
}

describe('the documented prefetch default is the one the code applies', () => {
  it.each([
    ['lib/decorators/consumer.decorator.ts', 'ConsumerOptions'],
    ['lib/microservices/messaging-server.options.ts', 'MessagingServerOptions'],
  ])('%s: %s.prefetch', (file, owner) => {
    const doc = propertyDoc(file, owner, 'prefetch');
    // Every number the doc gives from its first "Default" on.
    const from = doc.search(/\bDefault\b/);
    expect(from).toBeGreaterThanOrEqual(0);
    const stated = (doc.slice(from).match(/\b\d[\d_]*\b/g) ?? []).map((n) => Number(n.replace(/_/g, '')));
    expect(stated).toEqual([MESSAGING_DEFAULTS.prefetch]);
  });
});
