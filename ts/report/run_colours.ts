/**
 * One colour per run, the same in every chart: the Okabe–Ito palette (distinguishable with the
 * common colour-vision deficiencies), less its yellow, which is unreadable on white.
 */
const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];

/** The colour of the run at `index`; past the palette, colours repeat with a dashed line (see runDash). */
export function runColour(index: number): string {
  return palette[index % palette.length]!;
}

/** A stroke-dasharray for the run at `index`: none for the first round of colours, then dashes. */
export function runDash(index: number): string | undefined {
  const round = Math.floor(index / palette.length);
  return round === 0 ? undefined : `${2 + 2 * round} 3`;
}
