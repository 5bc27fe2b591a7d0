import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRACE_DIR } from './aws-calls.ts';

/** Before the suites run: what an earlier run recorded is gone, and this run says when it began. */
export default function clearTrace(): void {
  rmSync(TRACE_DIR, { recursive: true, force: true });
  mkdirSync(TRACE_DIR, { recursive: true });
  writeFileSync(join(TRACE_DIR, 'started'), new Date().toISOString());
}
