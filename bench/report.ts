/** The bench's output: the goals table, the measurements behind it and what each figure means. */
import type { ApiName } from '../lambdas/routes.js';
import type { InitResult } from './cold-init.js';
import type { HotPathResults, Timing } from './hot-path.js';

/** The issue's goals. KB = 1024 bytes, as esbuild and the CDK print sizes. */
export const GOALS = {
  bundleBytes: 250 * 1024,
  initRatio: 1.5,
  resendRatio: 1.3,
  batchRatio: 1.2,
  requestsPerResend: 1,
  requestsPerBatch: 53,
} as const;

export interface BenchReport {
  readonly machine: { readonly date: string; readonly cpu: string; readonly os: string; readonly node: string; readonly load: readonly [number, number] };
  readonly stacks: readonly StackReport[];
  /** Absent when that part was skipped (`--skip init`, `--skip hot`). */
  readonly hello?: readonly InitResult[];
  /** bench/init-floor.ts: one signed secret read at init and nothing else. */
  readonly floor?: InitPair;
  /** bench/libraries-floor.ts: the libraries the functions are built on, and one secret read. */
  readonly librariesFloor?: InitPair & { readonly bytes: number };
  readonly bare?: Bare;
  readonly rounds: { readonly init?: number; readonly resends?: number; readonly batches?: number };
}

export interface StackReport {
  readonly label: string;
  readonly bytes: Readonly<Record<ApiName, number>>;
  readonly nodeOptions: string;
  readonly init?: Readonly<Record<ApiName, InitPair>>;
  readonly hot?: HotPathResults['stacks'][number];
}

type InitPair = { readonly plain: InitResult; readonly preload: InitResult };
type Hot = NonNullable<StackReport['hot']>;

export interface Bare {
  readonly update: Timing;
  readonly send: Timing;
  readonly batch: Timing;
}

const NOT_MEASURED = 'not measured';
const APIS: readonly ApiName[] = ['iam', 'rpc'];

const mark = (met: boolean) => (met ? '✓' : '✗');
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export const resendRatio = (bare: Bare, hot: Hot) => hot.resend.p50 / (bare.update.p50 + bare.send.p50);
export const batchRatio = (bare: Bare, hot: Hot) => hot.batch.p50 / bare.batch.p50;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function formatReport(report: BenchReport): string {
  const { machine, stacks, bare } = report;
  const initCell = (stack: StackReport, api: ApiName, show: (pair: InitPair) => string) => (stack.init ? show(stack.init[api]) : NOT_MEASURED);
  const hotCell = (stack: StackReport, show: (hot: Hot, bare: Bare) => string) => (stack.hot && bare ? show(stack.hot, bare) : NOT_MEASURED);
  const columns = stacks.flatMap((stack) => APIS.map((api) => ({ stack, api })));
  const label = (stack: StackReport, api: ApiName) => `${stacks.length > 1 ? `${stack.label}: ` : ''}${api.toUpperCase()}`;

  const goals = table(
    ['figure', 'goal', ...columns.map(({ stack, api }) => label(stack, api))],
    [
      [
        'bundle size, minified (KB = 1024 B)',
        '≤ 250 KB',
        ...columns.map(({ stack, api }) => `${kb(stack.bytes[api])} ${mark(stack.bytes[api] <= GOALS.bundleBytes)}`),
      ],
      [
        'cold init / hello world: wall (CPU)',
        '≤ 1.5× (wall)',
        ...columns.map(({ stack, api }) =>
          initCell(stack, api, ({ plain }) => `${times(plain.wallRatio)} ${mark(plain.wallRatio <= GOALS.initRatio)} (${times(plain.cpuRatio)})`),
        ),
      ],
      [
        'additional figure: the same, both first loading node:http as the Lambda runtime does',
        '—',
        ...columns.map(({ stack, api }) => initCell(stack, api, ({ preload }) => `${times(preload.wallRatio)} (${times(preload.cpuRatio)})`)),
      ],
      [
        'floor, for comparison: a bundle that only reads one key secret at init (wall (CPU); with preload)',
        '—',
        ...columns.map(({ stack, api }) =>
          stack === stacks[stacks.length - 1] && api === 'iam' && report.floor
            ? `${times(report.floor.plain.wallRatio)} (${times(report.floor.plain.cpuRatio)}); ${times(report.floor.preload.wallRatio)} (${times(report.floor.preload.cpuRatio)})`
            : '',
        ),
      ],
      [
        'floor, for comparison: the libraries alone (both SDK clients, trimmed and created, jose, Powertools Metrics, middy) and one secret read: size; init wall (CPU)',
        '—',
        ...columns.map(({ stack, api }) =>
          stack === stacks[stacks.length - 1] && api === 'iam' && report.librariesFloor
            ? `${kb(report.librariesFloor.bytes)}; ${times(report.librariesFloor.plain.wallRatio)} (${times(report.librariesFloor.plain.cpuRatio)})`
            : '',
        ),
      ],
      [
        'IAM resend p50 / (bare UpdateItem p50 + bare SendEmail p50)',
        '≤ 1.3×',
        ...columns.map(({ stack, api }) =>
          api === 'iam' ? hotCell(stack, (hot, b) => `${times(resendRatio(b, hot))} ${mark(resendRatio(b, hot) <= GOALS.resendRatio)}`) : '—',
        ),
      ],
      [
        'RPC batch of 50 p50 / the same 50 bare writes and sends at 20 in flight',
        '≤ 1.2×',
        ...columns.map(({ stack, api }) =>
          api === 'rpc' ? hotCell(stack, (hot, b) => `${times(batchRatio(b, hot))} ${mark(batchRatio(b, hot) <= GOALS.batchRatio)}`) : '—',
        ),
      ],
      [
        'DynamoDB requests on the wire: per IAM resend; per batch of 50',
        '1; ≤ 53',
        ...columns.map(({ stack, api }) =>
          hotCell(stack, (hot) =>
            api === 'iam'
              ? `${hot.requestsPerResend} ${mark(hot.requestsPerResend <= GOALS.requestsPerResend)}`
              : `${hot.requestsPerBatch} ${mark(hot.requestsPerBatch <= GOALS.requestsPerBatch)}`,
          ),
        ),
      ],
    ],
  );

  const measured = table(
    ['measurement (medians)', ...stacks.map((stack) => stack.label)],
    [
      ['NODE_OPTIONS of the functions', ...stacks.map((stack) => (stack.nodeOptions ? `\`${stack.nodeOptions}\`` : 'none'))],
      ...APIS.map((api) => [
        `cold init ${api.toUpperCase()}: wall / CPU`,
        ...stacks.map((stack) => initCell(stack, api, ({ plain }) => `${ms(plain.wallMs)} / ${ms(plain.cpuMs)}`)),
      ]),
      ...(report.hello ?? [])
        .filter((row) => !row.name.endsWith('+preload'))
        .map((row) => [`cold init ${row.name}: wall / CPU`, ...stacks.map(() => `${ms(row.wallMs)} / ${ms(row.cpuMs)}`)]),
      ['IAM resend p50 (CPU p50)', ...stacks.map((stack) => hotCell(stack, (hot) => `${ms(hot.resend.p50)} (${ms(hot.resend.cpuP50)})`))],
      [
        'bare UpdateItem p50 + bare SendEmail p50 (CPU)',
        ...stacks.map((stack) =>
          hotCell(stack, (_hot, b) => `${ms(b.update.p50)} + ${ms(b.send.p50)} (${ms(b.update.cpuP50)} + ${ms(b.send.cpuP50)})`),
        ),
      ],
      [
        'IAM resend CPU / bare pair CPU',
        ...stacks.map((stack) => hotCell(stack, (hot, b) => times(hot.resend.cpuP50 / (b.update.cpuP50 + b.send.cpuP50)))),
      ],
      ['RPC batch of 50 p50 (CPU p50)', ...stacks.map((stack) => hotCell(stack, (hot) => `${ms(hot.batch.p50)} (${ms(hot.batch.cpuP50)})`))],
      ['50 bare writes + sends p50 (CPU p50)', ...stacks.map((stack) => hotCell(stack, (_hot, b) => `${ms(b.batch.p50)} (${ms(b.batch.cpuP50)})`))],
      ['RPC batch CPU / bare batch CPU', ...stacks.map((stack) => hotCell(stack, (hot, b) => times(hot.batch.cpuP50 / b.batch.cpuP50)))],
      [
        'DynamoDB requests of a batch of 50, by operation',
        ...stacks.map((stack) =>
          hotCell(stack, (hot) =>
            Object.entries(hot.batchRequestsByOperation)
              .map(([operation, count]) => `${operation} ${count}`)
              .join(', '),
          ),
        ),
      ],
    ],
  );

  return [
    `**${machine.date}**, ${machine.cpu}, ${machine.os}, Node ${machine.node}, load average ${machine.load[0].toFixed(1)} → ${machine.load[1].toFixed(1)}; ` +
      `${report.rounds.init ?? 0} cold-init rounds, ${report.rounds.resends ?? 0} resend rounds, ${report.rounds.batches ?? 0} batch rounds.`,
    '',
    goals,
    '',
    measured,
    '',
    "Bundle: the `index.mjs` of each function's asset as `cdk synth` writes it. Cold init: a fresh `node` on the",
    "functions' Node importing the bundle (top-level await included: the secrets are read, signed, from a",
    "Secrets Manager stand-in on 127.0.0.1) with the function's environment and NODE_OPTIONS, over the same",
    "for a hello-world handler; wall is spawn to exit, CPU the child's user + system time at import done; the",
    'median over interleaved rounds of the per-round ratio. Hot path, in one process against DynamoDB Local and',
    "the local SES, interleaved: the bundle's handler called with API Gateway proxy events; the bare UpdateItem",
    'is the same conditional UpdateItem the resend sends (resendUpdate, on a record in the same state) and the',
    "bare SendEmail the same mail, both issued directly through the SDK's clients (bench/bare-calls.ts, bundled",
    'like the functions). Requests are counted by a proxy in front of DynamoDB Local.',
    '',
  ].join('\n');
}
