/**
 * A stand-in for what can sit between n8n and DingTalk, or a DingTalk that misbehaves: a local
 * HTTP server on 127.0.0.1 whose answers a test writes by hand (trickled bodies, huge bodies,
 * pages instead of data, answers that quote the request). Everything it started, close() stops.
 */
import http from 'http';
import type { AddressInfo, Socket } from 'net';

export interface Gateway {
	url: string;
	/** the requests received, as `METHOD path?query` */
	requests: string[];
	close(): Promise<void>;
}

export type GatewayHandler = (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void;

export async function startGateway(handler: GatewayHandler): Promise<Gateway> {
	const requests: string[] = [];
	const server = http.createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			requests.push(`${request.method} ${request.url}`);
			handler(request, response, Buffer.concat(chunks).toString('utf8'));
		});
	});
	const sockets = new Set<Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		requests,
		close: async () => {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** Sends `text` one byte per `intervalMs`, stopping when the client goes away (bounded by its length). */
export function trickle(response: http.ServerResponse, text: string, intervalMs = 1000): void {
	response.writeHead(200, { 'Content-Type': 'application/json' });
	let sent = 0;
	const timer = setInterval(() => {
		if (response.destroyed || sent >= text.length) {
			clearInterval(timer);
			if (!response.destroyed) response.end();
			return;
		}
		response.write(text[sent++]);
	}, intervalMs);
	timer.unref();
	response.on('close', () => clearInterval(timer));
}

export function sendJson(response: http.ServerResponse, body: unknown, status = 200): void {
	const text = JSON.stringify(body);
	response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
	response.end(text);
}
