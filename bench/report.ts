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
  readonly stacks: readonly {
    readonly label: string;
    readonly bytes: Readonly<Record<ApiName, number>>;
    readonly nodeOptions: string;
    readonly init: Readonly<Record<ApiName, { readonly plain: InitResult; readonly preload: InitResult }>>;
    readonly hot: HotPathResults['stacks'][number];
  }[];
  readonly hello: readonly InitResult[];
  readonly bare: { readonly update: Timing; readonly send: Timing; readonly batch: Timing };
  readonly rounds: { readonly init: number; readonly resends: number; readonly batches: number };
}

const mark = (met: boolean) => (met ? '✓' : '✗');
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export function resendRatio(report: BenchReport, stack: BenchReport['stacks'][number]): number {
  return stack.hot.resend.p50 / (report.bare.update.p50 + report.bare.send.p50);
}

export function batchRatio(report: BenchReport, stack: BenchReport['stacks'][number]): number {
  return stack.hot.batch.p50 / report.bare.batch.p50;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function formatReport(report: BenchReport): string {
  const { machine, stacks } = report;
  const columns = stacks.flatMap((stack) => (['iam', 'rpc'] as const).map((api) => ({ stack, api })));
  const label = (stack: BenchReport['stacks'][number], api: ApiName) =>
    `${stacks.length > 1 ? `${stack.label}: ` : ''}${api.toUpperCase()}`;
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
        ...columns.map(({ stack, api }) => {
          const { plain } = stack.init[api];
          return `${times(plain.wallRatio)} ${mark(plain.wallRatio <= GOALS.initRatio)} (${times(plain.cpuRatio)})`;
        }),
      ],
      [
        'additional figure: the same, both preloading node:http as the Lambda runtime does',
        '—',
        ...columns.map(({ stack, api }) => {
          const { preload } = stack.init[api];
          return `${times(preload.wallRatio)} (${times(preload.cpuRatio)})`;
        }),
      ],
      [
        'IAM resend p50 / (bare UpdateItem p50 + bare SendEmail p50)',
        '≤ 1.3×',
        ...columns.map(({ stack, api }) => (api === 'iam' ? `${times(resendRatio(report, stack))} ${mark(resendRatio(report, stack) <= GOALS.resendRatio)}` : '—')),
      ],
      [
        'RPC batch of 50 p50 / the same 50 bare writes and sends at 20 in flight',
        '≤ 1.2×',
        ...columns.map(({ stack, api }) => (api === 'rpc' ? `${times(batchRatio(report, stack))} ${mark(batchRatio(report, stack) <= GOALS.batchRatio)}` : '—')),
      ],
      [
        'DynamoDB requests on the wire: per IAM resend; per batch of 50',
        '1; ≤ 53',
        ...columns.map(({ stack, api }) =>
          api === 'iam'
            ? `${stack.hot.requestsPerResend} ${mark(stack.hot.requestsPerResend <= GOALS.requestsPerResend)}`
            : `${stack.hot.requestsPerBatch} ${mark(stack.hot.requestsPerBatch <= GOALS.requestsPerBatch)}`,
        ),
      ],
    ],
  );

  const measured = table(
    ['measurement (medians)', ...stacks.map((stack) => stack.label)],
    [
      ['NODE_OPTIONS of the functions', ...stacks.map((stack) => (stack.nodeOptions ? `\`${stack.nodeOptions}\`` : 'none'))],
      ...(['iam', 'rpc'] as const).map((api) => [
        `cold init ${api.toUpperCase()}: wall / CPU`,
        ...stacks.map((stack) => `${ms(stack.init[api].plain.wallMs)} / ${ms(stack.init[api].plain.cpuMs)}`),
      ]),
      ...report.hello
        .filter((row) => !row.name.endsWith('+preload'))
        .map((row) => [`cold init ${row.name}: wall / CPU`, ...stacks.map(() => `${ms(row.wallMs)} / ${ms(row.cpuMs)}`)]),
      ['IAM resend p50 (CPU p50)', ...stacks.map((stack) => `${ms(stack.hot.resend.p50)} (${ms(stack.hot.resend.cpuP50)})`)],
      [
        'bare UpdateItem p50 + bare SendEmail p50 (CPU)',
        ...stacks.map(
          () =>
            `${ms(report.bare.update.p50)} + ${ms(report.bare.send.p50)} (${ms(report.bare.update.cpuP50)} + ${ms(report.bare.send.cpuP50)})`,
        ),
      ],
      [
        'IAM resend CPU / bare pair CPU',
        ...stacks.map((stack) => times(stack.hot.resend.cpuP50 / (report.bare.update.cpuP50 + report.bare.send.cpuP50))),
      ],
      ['RPC batch of 50 p50 (CPU p50)', ...stacks.map((stack) => `${ms(stack.hot.batch.p50)} (${ms(stack.hot.batch.cpuP50)})`)],
      ['50 bare writes + sends p50 (CPU p50)', ...stacks.map(() => `${ms(report.bare.batch.p50)} (${ms(report.bare.batch.cpuP50)})`)],
      ['RPC batch CPU / bare batch CPU', ...stacks.map((stack) => times(stack.hot.batch.cpuP50 / report.bare.batch.cpuP50))],
      [
        'DynamoDB requests of a batch of 50, by operation',
        ...stacks.map((stack) =>
          Object.entries(stack.hot.batchRequestsByOperation)
            .map(([operation, count]) => `${operation} ${count}`)
            .join(', '),
        ),
      ],
    ],
  );

  return [
    `**${machine.date}**, ${machine.cpu}, ${machine.os}, Node ${machine.node}, load average ${machine.load[0].toFixed(1)} → ${machine.load[1].toFixed(1)}; ` +
      `${report.rounds.init} cold-init rounds, ${report.rounds.resends} resend rounds, ${report.rounds.batches} batch rounds.`,
    '',
    goals,
    '',
    measured,
    '',
    'Bundle: the `index.mjs` of each function\'s asset as `cdk synth` writes it. Cold init: a fresh `node` on the',
    "functions' Node importing the bundle (top-level await included: the secrets are read, signed, from a fake",
    "Secrets Manager on 127.0.0.1) with the function's environment and NODE_OPTIONS, over the same for a",
    'hello-world handler; wall is spawn to exit, CPU the child\'s user + system time at import done; the median',
    'over interleaved rounds of the per-round ratio. Hot path, in one process against DynamoDB Local and the',
    'local SES, interleaved: the bundle\'s handler called with API Gateway proxy events; the bare UpdateItem is',
    'the same conditional UpdateItem the resend sends (resendUpdate, on a record in the same state) and the bare',
    'SendEmail the same mail, both issued directly through the SDK\'s clients. Requests are counted by a proxy in',
    'front of DynamoDB Local.',
    '',
  ].join('\n');
}
