/**
 * Durations and sizes as written in config files, and back.
 *
 * Contract: `parseDuration` accepts "0" or one or more `<digits><unit>` groups with units
 * h, m, s, ms in that order, each at most once ("250ms", "30s", "1h30m"); `parseSize`
 * accepts `<digits>` bytes or `<digits><unit>` with B, KB, MB, GB, TB (binary: KB = 1024,
 * case-insensitive). Both reject negatives, fractions and values beyond
 * `Number.MAX_SAFE_INTEGER`. `formatDuration`/`formatSize` produce text the parsers
 * read back to the same number.
 *
 * @module
 */

/** A parsed value or the reason it could not be parsed. */
export type Parsed = { value: number } | { error: string };

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

const SIZE_UNITS: readonly (readonly [string, number])[] = [
  ["TB", 1024 ** 4],
  ["GB", 1024 ** 3],
  ["MB", 1024 ** 2],
  ["KB", 1024],
];

const DURATION_HELP = "use whole numbers with units h, m, s or ms, like 30s or 1h30m";

/** Parses a duration such as "1h30m" into milliseconds. */
export function parseDuration(text: string): Parsed {
  const t = text.trim();
  if (t.startsWith("-")) return { error: "Durations cannot be negative" };
  if (/^0+$/.test(t)) return { value: 0 };
  if (/^\d+$/.test(t)) return { error: `Duration "${t}" needs a unit: ${DURATION_HELP}` };
  const group = /(\d+)(ms|h|m|s)/y;
  let total = 0;
  let lastUnit = -1;
  let pos = 0;
  while (pos < t.length) {
    group.lastIndex = pos;
    const m = group.exec(t);
    const unit = m ? DURATION_UNITS.findIndex(([u]) => u === m[2]) : -1;
    if (!m || unit <= lastUnit) return { error: `Invalid duration "${t}": ${DURATION_HELP}` };
    total += Number(m[1]) * (DURATION_UNITS[unit]?.[1] ?? 0);
    lastUnit = unit;
    pos = group.lastIndex;
  }
  if (pos === 0) return { error: `Invalid duration "${t}": ${DURATION_HELP}` };
  if (!Number.isSafeInteger(total)) return { error: `Duration "${t}" is too large` };
  return { value: total };
}

/** Formats milliseconds as the shortest duration text, e.g. 5_400_000 → "1h30m", 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = ms;
  let out = "";
  for (const [unit, size] of DURATION_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

/** Parses a size such as "20MB" or "512" into bytes. */
export function parseSize(text: string): Parsed {
  const t = text.trim();
  if (t.startsWith("-")) return { error: "Sizes cannot be negative" };
  const m = /^(\d+)\s*(B|KB|MB|GB|TB)?$/i.exec(t);
  if (!m) {
    return { error: `Invalid size "${t}": use a number of bytes or a number with KB, MB or GB` };
  }
  const unit = m[2]?.toUpperCase() ?? "B";
  const total = Number(m[1]) * (SIZE_UNITS.find(([u]) => u === unit)?.[1] ?? 1);
  if (!Number.isSafeInteger(total)) return { error: `Size "${t}" is too large` };
  return { value: total };
}

/** Formats bytes with the largest unit that divides them exactly, e.g. 20_971_520 → "20MB". */
export function formatSize(bytes: number): string | number {
  if (bytes === 0) return 0;
  for (const [unit, size] of SIZE_UNITS) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}
