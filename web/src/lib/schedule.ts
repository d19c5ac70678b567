// A DAG's schedule in words for the DAG list and header.
import cronstrue from 'cronstrue';

const CRON_FIELD = /^[\d*/,?LW#A-Z-]+$/i;

/** Whether text looks like a cron expression (5 to 7 fields of cron syntax). */
export function isCronExpression(text: string): boolean {
  const fields = text.trim().split(/\s+/);
  return fields.length >= 5 && fields.length <= 7 && fields.every((field) => CRON_FIELD.test(field));
}

/**
 * The server's own description when it has one; otherwise a cron expression
 * in words; presets (@daily) and durations ("every 10m") are shown as written,
 * which an Airflow user reads as easily.
 */
export function scheduleInWords(description: string | null | undefined, summary: string | null | undefined): string {
  if (description && description.trim()) return description;
  if (!summary || summary === 'None' || summary === 'null') return 'None';
  if (isCronExpression(summary)) {
    try {
      return cronstrue.toString(summary, { use24HourTimeFormat: true, verbose: false });
    } catch {
      return summary;
    }
  }
  return summary;
}
