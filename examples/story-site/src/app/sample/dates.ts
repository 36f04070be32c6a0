/**
 * Every generated date is this fixed epoch plus a seeded offset, never now():
 * the same seed and scale give the same rows whenever they are generated.
 */
export const EPOCH_MS = Date.UTC(2024, 0, 1);
export const SECOND_MS = 1000;
export const DAY_MS = 86_400 * SECOND_MS;
