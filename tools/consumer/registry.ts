/**
 * A throwaway Verdaccio registry for the consumer test: loopback only, temporary storage, no uplinks. It serves
 * the @hop scope alone; projects point only `@hop:registry` at it, so third-party packages still come from the
 * registry npm is configured with (and its cache).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface LocalRegistry {
  url: string;
  /** `.npmrc` lines for a project that installs @hop/* from here (and may publish: the token is in it). */
  npmrc: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? res(address.port) : rej(new Error('no port'))));
    });
  });
}

async function waitUntilUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${log()}`);
}

/** Starts Verdaccio 6 (from the repository's devDependencies) under `dir`, registers a publisher. */
export async function startRegistry(root: string, dir: string): Promise<LocalRegistry> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'storage: ./storage',
      'auth:',
      '  htpasswd:',
      '    file: ./htpasswd',
      // every package of the scope is ours, and nothing is proxied: a name not published here is a 404
      'uplinks: {}',
      'packages:',
      "  '@hop/*':",
      '    access: $all',
      '    publish: $authenticated',
      '    unpublish: $authenticated',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const bin = resolve(root, 'node_modules/verdaccio/bin/verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const stop = () =>
    new Promise<void>((res) => {
      if (child.exitCode !== null) return res();
      child.once('exit', () => res());
      child.kill('SIGTERM');
    });
  try {
    await waitUntilUp(url, child, () => output);
    const user = 'hop-publisher';
    const r = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: user, password: 'only-for-this-test', type: 'user' }),
    });
    const body = (await r.json()) as { token?: string };
    if (!r.ok || !body.token) throw new Error(`verdaccio refused the publisher (${r.status}): ${JSON.stringify(body)}`);
    const npmrc = `@hop:registry=${url}\n//127.0.0.1:${port}/:_authToken=${body.token}\n`;
    return { url, npmrc, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
