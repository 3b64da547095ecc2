import net from "node:net";

/**
 * A port on 127.0.0.1 where a connection is refused until `release()`. A port that was merely free a
 * moment ago (bind 0, close) can be handed to any other process's listener at once; this one is held
 * as the local end of a connection of our own, which no socket can listen on (it is not free), while
 * a connection to it finds no listener and is refused.
 */
export async function refusedPort(): Promise<{ port: number; release: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    client.once("error", reject);
    client.once("connect", resolve);
  });
  return {
    port: client.localPort as number,
    release: () => {
      client.destroy();
      server.close();
    },
  };
}
