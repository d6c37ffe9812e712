// npm run demo: the compiled CLI's demo command (npm install already built dist/).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
if (!existsSync('dist/src/cli/main.js')) {
  const b = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
