// Starts balances-mock for the tests: the container image when BALANCES_MOCK_IMAGE names one and
// podman (or docker) is on the PATH, else `balances-mock serve` (BALANCES_MOCK_COMMAND, or the
// command on the PATH). Either way it listens on loopback only, with a token secret made here.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";

export interface RunningMock {
  readonly url: string;
  readonly how: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export async function startMock(): Promise<RunningMock> {
  const port = await freePort();
  const env = { ...process.env, BALANCES_MOCK_PORT: String(port), BALANCES_MOCK_TOKEN_SECRET: randomBytes(32).toString("hex") };
  const image = process.env["BALANCES_MOCK_IMAGE"];
  const engine = image === undefined ? undefined : ["podman", "docker"].find(onPath);
  const url = `http://127.0.0.1:${port}`;
  if (image !== undefined && engine !== undefined) {
    const name = `balances-mock-ts-example-${port}`;
    // The variables by name only: their values (the secret) stay off the command line.
    execFileSync(engine, ["run", "-d", "--rm", "--name", name, "--network", "host", "-e", "BALANCES_MOCK_PORT",
      "-e", "BALANCES_MOCK_TOKEN_SECRET", image, "serve", "--host", "127.0.0.1"], { env, stdio: "ignore" });
    await waitUntilReady(url);
    return {
      url,
      how: `${engine} run ${image}`,
      stop: async () => {
        execFileSync(engine, ["stop", "--time", "5", name], { env, stdio: "ignore" });
      },
    };
  }
  const command = process.env["BALANCES_MOCK_COMMAND"] ?? "balances-mock";
  const child = spawn(command, ["serve", "--host", "127.0.0.1", "--workers", "2", "--quiet"], { env, stdio: "ignore" });
  const exited = once(child, "exit");
  await Promise.race([waitUntilReady(url), exited.then(() => Promise.reject(new Error(`${command} serve exited`)))]);
  return { url, how: `${command} serve`, stop: async () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  child.kill("SIGTERM");
  await exited;
}

function onPath(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") {
    throw new Error("no port from the kernel");
  }
  return address.port;
}

/** Ready once a request without a token is answered in the API's envelope (as `balances-mock ready` asks). */
async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      const answer = await fetch(`${url}/user/balances/`);
      if (answer.status === 401) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`the mock at ${url} was not ready within ${READY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
