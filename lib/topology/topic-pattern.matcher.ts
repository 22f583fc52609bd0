/**
 * Splits a routing or binding key into words the way RabbitMQ does: on every `.`, keeping empty words
 * (`a..b` has three), except that the empty key has no words at all, so `#` matches it and `*` does not.
 */
export function topicWords(key: string): string[] {
  return key === '' ? [] : key.split('.');
}

/**
 * Whether a topic binding key matches a routing key: `*` stands for exactly one word and `#` for zero or
 * more words; every other word must be equal.
 *
 * Evaluated as a dynamic programme over (pattern word, key word) positions rather than by backtracking,
 * so patterns with many `#` stay linear in the key length per pattern word.
 */
export function matchesTopic(bindingKey: string, routingKey: string): boolean {
  const pattern = topicWords(bindingKey);
  const words = topicWords(routingKey);
  // reachable[j]: the pattern words seen so far can consume exactly the first j words of the key.
  let reachable: boolean[] = new Array<boolean>(words.length + 1).fill(false);
  reachable[0] = true;
  for (const part of pattern) {
    const next: boolean[] = new Array<boolean>(words.length + 1).fill(false);
    if (part === '#') {
      let seen = false;
      for (let j = 0; j <= words.length; j++) {
        seen = seen || reachable[j];
        next[j] = seen;
      }
    } else {
      for (let j = 1; j <= words.length; j++) {
        next[j] = reachable[j - 1] && (part === '*' || part === words[j - 1]);
      }
    }
    reachable = next;
  }
  return reachable[words.length];
}
