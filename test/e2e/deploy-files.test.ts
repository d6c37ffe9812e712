/**
 * The deployment files as a scheduler reads them: the Kubernetes Indexed Job (parsed with a YAML parser), the AWS
 * Batch job definition and submit request (JSON), and the Dockerfile. Each scheduler's index variable must reach
 * `--shard-from-env` with N equal to the number of workers; the container arguments are run through the CLI as the
 * pod or array child would run them (the lake and source pointed at local folders), so the CLI says which shard it
 * is. The image is built and run where a docker engine answers (`docker info`), and skipped with the reason elsewhere.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseJsonLines, runCli } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8');

let work: string;
let emptySource: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'gf-e2e-deploy-'));
  emptySource = join(work, 'no-files');
  mkdirSync(emptySource);
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The value after `flag` in `args`. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * Runs the container's arguments through the CLI as worker `index` would, with the scheduler's variable set: the
 * lake is a local folder and the source an empty one (every day is then "missing", which is not a failure).
 */
async function runAsWorker(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const local = [...args];
  local[local.indexOf('--lake') + 1] = join(work, `lake-${Object.values(env).join('-')}`);
  return runCli([...local, '--source', `local:${emptySource}`, '--config', join(work, 'config.toml')], { cwd: work, env, timeoutMs: 120_000 });
}

/** `shard I/N: K of T (dataset, day) items; ...` as the worker logged it. */
function shardLine(stdout: string): string {
  const line = parseJsonLines(stdout).find((l) => l.type === 'log' && /^shard \d+\/\d+: /.test(String(l.message)));
  assert.ok(line, `the worker logs its shard:\n${stdout.slice(0, 2000)}`);
  return String(line.message);
}

interface K8sEnv { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }

test('the Kubernetes Indexed Job gives each pod its index, and --shards equals completions', async () => {
  const job = parseYaml(read('deploy/k8s/backfill-job.yaml')) as {
    apiVersion: string; kind: string;
    spec: { completionMode: string; completions: number; parallelism: number; backoffLimitPerIndex: number;
      template: { spec: { restartPolicy: string; securityContext?: { runAsNonRoot?: boolean };
        containers: { name: string; image: string; args: string[]; env: K8sEnv[]; resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } } };
  };
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.ok(Number.isInteger(job.spec.completions) && job.spec.completions > 1);
  assert.ok(job.spec.parallelism >= 1 && job.spec.parallelism <= job.spec.completions);
  assert.ok(job.spec.backoffLimitPerIndex >= 1, 'a failed shard is retried alone');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never', 'backoffLimitPerIndex needs restartPolicy Never');
  assert.equal(job.spec.template.spec.securityContext?.runAsNonRoot, true);
  const [container] = job.spec.template.spec.containers;
  assert.ok(container);
  const args = container.args;
  assert.equal(args[0], 'ingest');
  assert.ok(args.includes('--shard-from-env'), 'the index comes from the environment');
  assert.equal(args.includes('--shard'), false);
  assert.equal(Number(flagValue(args, '--shards')), job.spec.completions, '--shards N equals completions');
  assert.match(flagValue(args, '--lake') ?? '', /^s3:\/\/[a-z0-9.-]+\/.+/, 'the lake is on S3');

  const env = new Map(container.env.map((e) => [e.name, e]));
  assert.equal(env.get('JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  const secretOf = (name: string): string | undefined => env.get(name)?.valueFrom?.secretKeyRef?.name;
  const massive = secretOf('MASSIVE_S3_ACCESS_KEY_ID'), lake = secretOf('GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID');
  assert.ok(massive && lake, 'both credentials come from Secrets');
  assert.equal(secretOf('MASSIVE_S3_SECRET_ACCESS_KEY'), massive);
  assert.equal(secretOf('GAMMAFLOW_LAKE_S3_SECRET_ACCESS_KEY'), lake);
  assert.notEqual(massive, lake, 'the lake\'s credentials are separate from Massive\'s');
  for (const e of container.env) assert.equal(e.value !== undefined && /SECRET|KEY_ID/.test(e.name), false, `${e.name} is not written in the file`);
  assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);

  // The last pod, as Kubernetes starts it.
  const last = job.spec.completions - 1;
  const r = await runAsWorker(args, { JOB_COMPLETION_INDEX: String(last) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(shardLine(r.stdout), new RegExp(`^shard ${last}/${job.spec.completions}: \\d+ of \\d+ \\(dataset, day\\) items; \\d+ belong to other shards$`));
  // Outside an Indexed Job the same arguments stop at once, naming the variables.
  const outside = await runAsWorker(args, {});
  assert.equal(outside.code, 2, outside.stderr);
  assert.match(outside.stderr, /--shard-from-env: neither JOB_COMPLETION_INDEX nor AWS_BATCH_JOB_ARRAY_INDEX is set/);
});

test('the AWS Batch array job gives each child its index, and --shards equals the array size', async () => {
  const definition = JSON.parse(read('deploy/aws-batch/job-definition.json')) as {
    jobDefinitionName: string; type: string; parameters: Record<string, string>;
    retryStrategy: { attempts: number };
    containerProperties: { image: string; command: string[]; environment?: { name: string; value: string }[]; secrets?: { name: string; valueFrom: string }[];
      resourceRequirements: { type: string; value: string }[]; user?: string };
  };
  const submit = JSON.parse(read('deploy/aws-batch/submit-job.json')) as { jobDefinition: string; arrayProperties: { size: number }; parameters?: Record<string, string> };
  assert.equal(definition.type, 'container');
  assert.equal(submit.jobDefinition, definition.jobDefinitionName);
  assert.ok(definition.retryStrategy.attempts >= 2, 'a failed child is retried');
  const parameters = { ...definition.parameters, ...submit.parameters };
  // Batch replaces Ref::name in the command by the parameter's value.
  const command = definition.containerProperties.command.map((a) => {
    const m = /^Ref::(\w+)$/.exec(a);
    if (!m) return a;
    assert.ok(parameters[m[1]!] !== undefined, `${a} has a value`);
    return parameters[m[1]!]!;
  });
  assert.ok(command.includes('--shard-from-env'));
  assert.equal(Number(flagValue(command, '--shards')), submit.arrayProperties.size, '--shards N equals the array size');
  assert.ok(submit.arrayProperties.size > 1);
  assert.match(flagValue(command, '--lake') ?? '', /^s3:\/\//);
  const environment = definition.containerProperties.environment ?? [];
  assert.equal(environment.some((e) => e.name.startsWith('AWS_BATCH_')), false, 'Batch sets AWS_BATCH_JOB_ARRAY_INDEX itself');
  assert.deepEqual((definition.containerProperties.secrets ?? []).map((s) => s.name).sort(), ['MASSIVE_S3_ACCESS_KEY_ID', 'MASSIVE_S3_SECRET_ACCESS_KEY']);
  assert.notEqual(definition.containerProperties.user?.split(':')[0], '0', 'not root');
  const vcpus = definition.containerProperties.resourceRequirements.find((r) => r.type === 'VCPU');
  assert.ok(vcpus && Number(vcpus.value) >= 1);
  assert.match(read('deploy/aws-batch/submit.sh'), /aws batch submit-job --cli-input-json "file:\/\/\$here\/submit-job\.json"/);

  const child = submit.arrayProperties.size - 1;
  const r = await runAsWorker(command, { AWS_BATCH_JOB_ARRAY_INDEX: String(child) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(shardLine(r.stdout), new RegExp(`^shard ${child}/${submit.arrayProperties.size}: `));
});

/** Instructions of the Dockerfile's last stage, in order (continuation lines joined). */
function finalStage(dockerfile: string): { op: string; rest: string }[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const steps = lines.map((l) => { const m = /^(\w+)\s+(.*)$/.exec(l)!; return { op: m[1]!.toUpperCase(), rest: m[2]! }; });
  const from = steps.map((s) => s.op).lastIndexOf('FROM');
  return steps.slice(from);
}

test('the Dockerfile: Node 24 slim with ISA-L, production dependencies, a non-root user, the gammaflow bin as entry point', () => {
  const dockerfile = read('Dockerfile');
  const stage = finalStage(dockerfile);
  assert.match(stage[0]!.rest, /^node:24-slim$/);
  const run = stage.filter((s) => s.op === 'RUN').map((s) => s.rest).join('\n');
  assert.match(run, /apt-get install .*\bisal\b/, 'igzip for [ingest] inflate = "auto"');
  assert.match(dockerfile, /npm ci --omit=dev/);
  const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.gammaflow;
  assert.ok(bin);
  assert.match(run, new RegExp(`ln -s /app/${bin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} /usr/local/bin/gammaflow`), 'gammaflow on PATH is the package bin');
  const user = stage.filter((s) => s.op === 'USER').at(-1)?.rest;
  assert.ok(user !== undefined && user !== 'root' && user !== '0', `runs as ${user}`);
  const entry = JSON.parse(stage.filter((s) => s.op === 'ENTRYPOINT').at(-1)!.rest) as string[];
  assert.equal(entry.at(-1), 'gammaflow');
  assert.match(read('.dockerignore'), /^node_modules$/m);
});

test('the image builds and runs gammaflow as a non-root user, with igzip', (t) => {
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status !== 0) {
    t.skip('no docker engine here (docker info failed): the image build is not tested');
    return;
  }
  const tag = `gammaflow-test:${process.pid}`;
  try {
    const build = spawnSync('docker', ['build', '-t', tag, ROOT], { encoding: 'utf8', timeout: 1_800_000 });
    assert.equal(build.status, 0, build.stderr);
    const version = spawnSync('docker', ['run', '--rm', tag, '--version'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), (JSON.parse(read('package.json')) as { version: string }).version);
    const whoami = spawnSync('docker', ['run', '--rm', '--entrypoint', 'id', tag, '-u'], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(whoami.stdout.trim(), '0');
    const igzip = spawnSync('docker', ['run', '--rm', '--entrypoint', 'igzip', tag, '--version'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(igzip.status, 0, igzip.stderr);
  } finally {
    spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
  }
});
