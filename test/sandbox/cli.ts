/**
 * Runs the DingTalk sandbox until Ctrl-C: `npm run sandbox -- --port 8787 --latency 50 --qps 20`.
 * Flags (or environment): --port (PORT; 0 = any free port), --latency ms (SANDBOX_LATENCY_MS),
 * --qps calls per second per API (SANDBOX_QPS), --busy rate 0..1 (SANDBOX_BUSY_RATE),
 * --app-key / --app-secret (SANDBOX_APP_KEY / SANDBOX_APP_SECRET).
 * Prints the base URL and the app key; the secret is printed only when you chose it yourself.
 */
import { startSandbox } from './server';

function flag(name: string, environment: string, fallback?: string | number): string | undefined {
	const index = process.argv.indexOf(`--${name}`);
	if (index !== -1 && process.argv[index + 1] !== undefined) return process.argv[index + 1];
	return process.env[environment] ?? (fallback === undefined ? undefined : String(fallback));
}

async function main(): Promise<void> {
	const sandbox = await startSandbox({
		seed: 'default',
		port: Number(flag('port', 'PORT', 8787)),
		appKey: flag('app-key', 'SANDBOX_APP_KEY'),
		appSecret: flag('app-secret', 'SANDBOX_APP_SECRET'),
		latencyMs: Number(flag('latency', 'SANDBOX_LATENCY_MS', 0)),
		qpsLimit: Number(flag('qps', 'SANDBOX_QPS', 20)),
		busyRate: Number(flag('busy', 'SANDBOX_BUSY_RATE', 0)),
	});
	console.log(`DingTalk sandbox listening on ${sandbox.url}`);
	console.log(`App Key: ${sandbox.appKey} (App Secret: the default from test/sandbox/server.ts, or the one you passed)`);
	console.log(
		`Seed: ${sandbox.state.contacts.size} external contacts, ${sandbox.state.users.length} users, ${sandbox.state.departments.length + 1} departments`,
	);
	const stop = async () => {
		await sandbox.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
