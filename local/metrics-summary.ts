/**
 * What CloudWatch does with the handlers' EMF lines, in one line each for a person at the
 * terminal: `npm start` runs the handlers in-process, they print the embedded metric format
 * exactly as in Lambda, and this shows each EMF document as its metrics and dimensions.
 */

interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
}

/** `metrics EmailVerification iam SendFailures=1 (stage=send-mail)`, or undefined for any other line. */
export function summarizeEmf(line: string): string | undefined {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return undefined;
  let document: Record<string, unknown>;
  try {
    document = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const directives = (document._aws as { CloudWatchMetrics?: EmfDirective[] } | undefined)?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return undefined;
  return directives
    .map((directive) => {
      const dimensionNames = [...new Set(directive.Dimensions.flat())];
      const api = typeof document.api === 'string' ? document.api : '-';
      const details = dimensionNames.filter((name) => name !== 'service' && name !== 'api').map((name) => `${name}=${String(document[name])}`);
      const values = directive.Metrics.map((metric) => `${metric.Name}=${JSON.stringify(document[metric.Name])}`);
      return `metrics ${directive.Namespace} ${api} ${values.join(' ')}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
    })
    .join('\n');
}

/**
 * Replaces every EMF line written to `stream` by its summary, handed to `report`; other output
 * passes through unchanged. Returns the function that puts the stream back.
 */
export function summarizeMetricsOn(stream: NodeJS.WriteStream, report: (summary: string) => void): () => void {
  const write = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const summary = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? summarizeEmf(chunk.toString()) : undefined;
    if (summary === undefined) return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    report(summary);
    const callback = rest.find((arg) => typeof arg === 'function') as ((error: null) => void) | undefined;
    callback?.(null);
    return true;
  } as NodeJS.WriteStream['write'];
  return () => {
    stream.write = write;
  };
}
