/**
 * splitmix32: expands one 32-bit word into a well-mixed stream. Used only to seed xoshiro128** from a user
 * seed and to derive child streams, as the xoshiro authors recommend.
 */
export function splitmix32(state: number): { value: number; state: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: next };
}

/** FNV-1a over the UTF-16 code units of a string: turns a string seed into a 32-bit word. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Folds a list of integers (seed, epoch, index, ...) into one 32-bit word, order-sensitive. */
export function mixWords(words: readonly number[]): number {
  let h = 0x243f6a88;
  for (const w of words) {
    // Mix the high and low halves so integers above 2^32 (step counts) still matter.
    const low = w >>> 0;
    const high = Math.floor(w / 4294967296) >>> 0;
    h = splitmix32(h ^ low).value;
    h = splitmix32(h ^ high).value;
  }
  return h;
}
