/**
 * End-to-end checks of one DingTalk quota shared by many executions, in real n8n (called from
 * test/e2e/run.ts, n8n 2.41.1 only: `n8n publish:workflow` activates the webhooks there):
 *
 * - a webhook storm in one n8n process: STORM_CALLS webhook calls at once, each updating its own
 *   contact, against a quota of 20 calls per second with 30 ms latency: none lost or duplicated;
 * - the same storm in n8n's queue mode: Redis and PostgreSQL (installed from Debian's packages
 *   when missing), one main and two `n8n worker` processes: the workers run every execution,
 *   none lost or duplicated.
 *
 * Every process started here is stopped when a check ends, fails, or the run is interrupted.
 */
import assert from 'assert';

import { DEFAULT_N8N_VERSION, installN8n } from '../../scripts/n8n';
import type { N8nInstall } from '../../scripts/n8n';
import { installDebianPackages, serviceFolder, startPostgres, startRedis } from '../../scripts/services';
import type { Postgres, Service } from '../../scripts/services';
import {
	credentialFor,
	executionsPerWorker,
	fetchToken,
	fireStorm,
	prepareCluster,
	settle,
	stormBodies,
	stormWorkflows,
	tallyStorm,
	UPDATE,
} from '../storm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startSandbox, SEED } = require('../sandbox/server');

type Check = (name: string, body: () => Promise<void> | void) => Promise<void>;

const VERSION = DEFAULT_N8N_VERSION;
const STORM_CALLS = 60;
const QUOTA = 20;

async function storm(install: N8nInstall, tarball: string, queue?: { redis: Service; postgres: Postgres }) {
	const sandbox = await startSandbox({ seed: { extraContacts: STORM_CALLS }, qpsLimit: { [UPDATE]: QUOTA }, latencyMs: 30 });
	try {
		const ids = ([...sandbox.state.contacts.keys()] as string[]).slice(-STORM_CALLS);
		// queue mode: each worker has its own limiter, so each gets half of the quota (see README, Scaling out)
		const requestsPerSecond = queue ? QUOTA / 2 : QUOTA;
		const prepared = await prepareCluster({
			install,
			tarball,
			workers: queue ? 2 : 0,
			concurrency: 10,
			...queue,
			credentials: [credentialFor(sandbox)],
			workflows: stormWorkflows(sandbox.url, await fetchToken(sandbox), requestsPerSecond),
		});
		try {
			const cluster = await prepared.start();
			try {
				sandbox.resetLog();
				const outcome = await fireStorm(cluster.url, 'dingTalk', stormBodies(ids, SEED.userIds[0], SEED.labelIds[0]));
				await settle(sandbox);
				const tally = tallyStorm(sandbox, ids);
				const boundS = STORM_CALLS / QUOTA;
				const perWorker = queue ? executionsPerWorker(cluster) : undefined;
				console.log(
					`    ${STORM_CALLS} calls in ${(outcome.wallMs / 1000).toFixed(2)} s (${(outcome.wallMs / 1000 / boundS).toFixed(2)} × the quota's ${boundS} s): ` +
						`${tally.calls} sent to DingTalk, ${tally.refused} refused with 90018, ${tally.lost} lost, ${tally.duplicated} duplicated, ` +
						`busiest second at DingTalk's limit ${tally.busiestSecond.rolling} (rolling) / ${tally.busiestSecond.calendar} (calendar), ` +
						`webhook answers ${JSON.stringify(outcome.statuses)}${perWorker ? `, executions per worker ${JSON.stringify(perWorker)}` : ''}`,
				);
				assert.deepEqual(outcome.statuses, { 200: STORM_CALLS }, 'every webhook call answered 200');
				assert.equal(tally.lost, 0, 'lost');
				assert.equal(tally.duplicated, 0, 'duplicated');
				// one limiter at the quota, or each worker at its part of it: DingTalk never has more calls
				// at its limit in any second than the quota (a refused call would make one more)
				const { rolling, calendar } = tally.busiestSecond;
				assert.ok(rolling <= QUOTA && calendar <= QUOTA, `busiest second at DingTalk's limit: ${rolling} (rolling), ${calendar} (calendar) calls`);
				if (perWorker) {
					assert.equal(Object.values(perWorker).reduce((sum, count) => sum + count, 0), STORM_CALLS, 'the workers ran every execution');
					for (const [worker, count] of Object.entries(perWorker)) assert.ok(count > 0, `${worker} ran no execution`);
				}
			} finally {
				await cluster.stop();
			}
		} finally {
			prepared.remove();
		}
	} finally {
		await sandbox.close();
	}
}

export async function queueChecks(versions: string[], tarball: string, check: Check): Promise<void> {
	if (!versions.includes(VERSION)) {
		console.log(`\n(webhook storm and queue mode: checked with n8n ${VERSION} only, not in N8N_VERSIONS)`);
		return;
	}
	console.log(`\nn8n ${VERSION}: webhook storms`);
	const install = installN8n(VERSION);

	await check(`webhook storm in one n8n: ${STORM_CALLS} calls at once, quota ${QUOTA}/s: none lost or duplicated, never over the quota in a second`, async () => {
		await storm(install, tarball);
	});

	await check('queue mode (Redis, PostgreSQL, main + 2 workers, the quota split): the workers run the webhook storm, none lost or duplicated, never over the quota in a second', async () => {
		installDebianPackages();
		const redisFolder = serviceFolder('storm-redis');
		const postgresFolder = serviceFolder('storm-postgres');
		const started: Array<{ stop(): Promise<void> }> = [];
		try {
			const redis = await startRedis(redisFolder.folder);
			started.push(redis);
			const postgres = await startPostgres(postgresFolder.folder);
			started.push(postgres);
			await storm(install, tarball, { redis, postgres });
		} finally {
			for (const service of started.reverse()) await service.stop();
			redisFolder.remove();
			postgresFolder.remove();
		}
	});
}
