import { randomFillSync } from 'node:crypto';

/** UUIDs made per batch of random bytes. */
const BATCH = 256;

/**
 * Random (version 4) UUIDs for message ids, one flat string each. `crypto.randomUUID()` assembles its
 * text from about twenty string pieces, and that garbage was the largest single allocation on the
 * publish path after the JSON body; this writes the text into a reused buffer and makes one string of it.
 * The random bytes come from the same CSPRNG, fetched a batch at a time.
 */
export class MessageIdGenerator {
  private readonly random = Buffer.alloc(16 * BATCH);
  private readonly text = Buffer.alloc(36);
  private offset = this.random.length;
  /** ASCII codes of the two hex digits of each byte value. */
  private readonly hex = Buffer.from(Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, '0')).join(''), 'latin1');

  /** A new random UUID, e.g. `3b241101-e2bb-4255-8caf-4136c566a962`. */
  next(): string {
    if (this.offset === this.random.length) {
      randomFillSync(this.random);
      this.offset = 0;
    }
    const { random, text, hex } = this;
    const start = this.offset;
    this.offset += 16;
    let at = 0;
    for (let index = 0; index < 16; index++) {
      let value = random[start + index] as number;
      // RFC 9562: version 4 in the high nibble of byte 6, variant 10 in the high bits of byte 8.
      if (index === 6) value = (value & 0x0f) | 0x40;
      else if (index === 8) value = (value & 0x3f) | 0x80;
      text[at++] = hex[value * 2] as number;
      text[at++] = hex[value * 2 + 1] as number;
      // Hyphens after bytes 4, 6, 8 and 10: 8-4-4-4-12 hex digits.
      if (index === 3 || index === 5 || index === 7 || index === 9) text[at++] = 0x2d;
    }
    return text.toString('latin1', 0, 36);
  }
}
