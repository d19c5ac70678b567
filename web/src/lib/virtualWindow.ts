// Which items of a long list are on screen, so the grid draws only those.

export interface ItemRange {
  /** First index to draw. */
  start: number;
  /** One past the last index to draw. */
  end: number;
}

/**
 * The items of size itemSize that a viewport of viewportSize shows when
 * scrolled to scrollOffset, with `overscan` more on each side so a fast
 * scroll does not show blanks. `leading` is the space before the first item
 * (a header or label column) that scrolls with the items.
 */
export function visibleRange(
  scrollOffset: number,
  viewportSize: number,
  itemSize: number,
  count: number,
  overscan = 5,
  leading = 0,
): ItemRange {
  if (count <= 0 || itemSize <= 0) return { start: 0, end: 0 };
  const offset = Math.max(0, scrollOffset - leading);
  const first = Math.floor(offset / itemSize);
  const last = Math.ceil((offset + Math.max(0, viewportSize)) / itemSize);
  return {
    start: Math.max(0, Math.min(count, first - overscan)),
    end: Math.max(0, Math.min(count, last + overscan)),
  };
}

/** Two ranges are the same window: lets scroll handlers skip re-renders. */
export function sameRange(a: ItemRange, b: ItemRange): boolean {
  return a.start === b.start && a.end === b.end;
}
