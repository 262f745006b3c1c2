// n8n's own verification of community packages (@n8n/scan-community-package), run on what we
// would publish. The tool normally downloads a published package and its attested source; here it
// gets the packed tarball (compiled .js and package.json) and the source tree, the same two legs.
//
//   node scripts/scan-package.mjs [tarball]     (without one, packs the built package first)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'dingtalk-scan-'));
let tarball = process.argv[2];
if (!tarball) {
	const packed = execFileSync('npm', ['pack', '--pack-destination', unpacked, '--json', '--loglevel=error'], { cwd: root });
	tarball = path.join(unpacked, JSON.parse(packed)[0].filename);
}
execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1']);

const source = await analyzePackage(root, SOURCE_FILE_PATTERNS);
const dist = await analyzePackage(unpacked, ['**/*.js', 'package.json']);
fs.rmSync(unpacked, { recursive: true, force: true });

for (const [leg, result] of [['source', source], ['packed tarball', dist]]) {
	console.log(`${result.passed ? 'passed' : 'FAILED'}: ${leg}${result.message ? ` (${result.message})` : ''}`);
	if (result.details) console.log(result.details);
}
process.exit(source.passed && dist.passed ? 0 : 1);
