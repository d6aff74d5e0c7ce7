/**
 * The `offset` of a paged admin list. Bounded: a number past 64 bits (a typo, a script's
 * overflow) reached the database, which refused it, and the caller got a 500; no list is a
 * billion rows long, so past this bound the answer is a 400 naming the parameter instead.
 */
export const MAX_OFFSET = 1_000_000_000;

export const offsetSchema = { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 } as const;
