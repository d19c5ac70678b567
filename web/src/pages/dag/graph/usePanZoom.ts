// Pan by dragging, zoom with the wheel around the pointer, and fit.
import { useCallback, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { fitTransform } from '../../../lib/graphLayout';

export interface Transform {
  x: number;
  y: number;
  scale: number;
}

const MIN_SCALE = 0.1;
const MAX_SCALE = 4;

/** Scales by factor (within bounds) keeping the point (px, py) of the viewport in place. */
function zoomAround(current: Transform, factor: number, px: number, py: number): Transform {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, current.scale * factor));
  const ratio = scale / current.scale;
  return { scale, x: px - (px - current.x) * ratio, y: py - (py - current.y) * ratio };
}

export function usePanZoom(contentWidth: number, contentHeight: number) {
  const containerRef = useRef<HTMLDivElement>(null);
  const [transform, setTransform] = useState<Transform>({ x: 0, y: 0, scale: 1 });
  const drag = useRef<{ x: number; y: number; startX: number; startY: number } | null>(null);

  const fit = useCallback(() => {
    const element = containerRef.current;
    if (!element) return;
    setTransform(fitTransform(contentWidth, contentHeight, element.clientWidth, element.clientHeight));
  }, [contentWidth, contentHeight]);

  useEffect(fit, [fit]);

  // React's wheel listeners are passive; zooming must stop the page scroll.
  useEffect(() => {
    const element = containerRef.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      const px = event.clientX - rect.left;
      const py = event.clientY - rect.top;
      setTransform((current) => zoomAround(current, Math.exp(-event.deltaY * 0.0015), px, py));
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);

  const onPointerDown = useCallback(
    (event: ReactPointerEvent) => {
      if ((event.target as Element).closest('[data-node]')) return;
      drag.current = { x: event.clientX, y: event.clientY, startX: transform.x, startY: transform.y };
      (event.currentTarget as Element).setPointerCapture(event.pointerId);
    },
    [transform.x, transform.y],
  );
  const onPointerMove = useCallback((event: ReactPointerEvent) => {
    const start = drag.current;
    if (!start) return;
    setTransform((current) => ({ ...current, x: start.startX + event.clientX - start.x, y: start.startY + event.clientY - start.y }));
  }, []);
  const onPointerUp = useCallback(() => {
    drag.current = null;
  }, []);

  const zoomBy = useCallback((factor: number) => {
    const element = containerRef.current;
    const cx = (element?.clientWidth ?? 0) / 2;
    const cy = (element?.clientHeight ?? 0) / 2;
    setTransform((current) => zoomAround(current, factor, cx, cy));
  }, []);

  return { containerRef, transform, fit, zoomBy, handlers: { onPointerDown, onPointerMove, onPointerUp, onPointerCancel: onPointerUp } };
}
