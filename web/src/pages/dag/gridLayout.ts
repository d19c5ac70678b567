// Sizes of the grid, shared by the component and its scroll math.
export const ROW_HEIGHT = 24;
export const COLUMN_WIDTH = 18;
export const HEADER_HEIGHT = 72;
export const BAR_MAX_HEIGHT = 54;
export const MIN_LABEL_WIDTH = 140;
export const MAX_LABEL_WIDTH = 300;
const LABEL_CHAR_WIDTH = 7.2;

/** The task column is as wide as its longest label, within bounds. */
export function labelColumnWidth(labels: string[]): number {
  const longest = labels.reduce((max, label) => Math.max(max, label.length), 0);
  return Math.min(MAX_LABEL_WIDTH, Math.max(MIN_LABEL_WIDTH, Math.round(longest * LABEL_CHAR_WIDTH + 28)));
}
