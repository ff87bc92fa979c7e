/**
 * What the handlers print, as Lambda would ship it to CloudWatch: the service logger writes log
 * lines, and Powertools EMF documents, to the process's stdout and stderr directly (not through
 * `console.log`), so this reads those streams. Captured lines are kept, not printed; anything else
 * passes through.
 */

export type LogEntry = Record<string, unknown> & { level: string; message: string };

export interface EmfDocument extends Record<string, unknown> {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
}

export interface ServiceOutput {
  /** Every captured line, as printed. */
  readonly lines: string[];
  /** The log lines, parsed. */
  logs(): LogEntry[];
  /** The EMF documents, parsed. */
  emf(): EmfDocument[];
  clear(): void;
  restore(): void;
}

function isServiceLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return '_aws' in parsed || (typeof parsed.level === 'string' && typeof parsed.service === 'string');
  } catch {
    return false;
  }
}

export function captureServiceOutput(): ServiceOutput {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  streams.forEach((stream, index) => {
    const original = originals[index]!;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const text = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk.toString() : '';
      const parts = text.split('\n').filter((part) => part !== '');
      if (parts.length === 0 || !parts.every(isServiceLine)) {
        return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
      }
      lines.push(...parts);
      const callback = rest.find((arg) => typeof arg === 'function') as ((error: null) => void) | undefined;
      callback?.(null);
      return true;
    } as NodeJS.WriteStream['write'];
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    lines,
    logs: () => parsed().filter((entry): entry is LogEntry => !('_aws' in entry)),
    emf: () => parsed().filter((entry): entry is EmfDocument => '_aws' in entry),
    clear: () => {
      lines.length = 0;
    },
    restore: () => {
      streams.forEach((stream, index) => {
        stream.write = originals[index]!;
      });
    },
  };
}
