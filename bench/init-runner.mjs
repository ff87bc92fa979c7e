// The child process of one cold-init sample (bench/cold-init.ts), run on the functions' Node:
// imports one handler module as the Lambda runtime does, top-level await included, and reports
// when that is done (ms since the process started, performance.now()'s origin) and the CPU
// time used until then, then exits. Plain JavaScript with no imports of its own, so that the
// runner adds the same few lines to the hello world and to a bundle alike.
//
// BENCH_RUNTIME_PRELOAD=1 first loads node:http, as the Lambda runtime interface client does
// before it loads the handler (for the additional, labelled figure only).
if (process.env.BENCH_RUNTIME_PRELOAD === '1') process.getBuiltinModule('node:http');
const module = await import(new URL(process.argv[2], 'file://').href);
const ready = performance.now();
const { user, system } = process.cpuUsage();
if (typeof module.handler !== 'function') throw new Error(`${process.argv[2]} exports no handler`);
process.stdout.write(JSON.stringify({ ready, cpu: (user + system) / 1000 }));
process.exit(0);
