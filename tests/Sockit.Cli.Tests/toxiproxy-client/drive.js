// Drives a running `sockit proxy --api` with the stock toxiproxy-node-client, the way a Node test suite would,
// and prints what it saw as one JSON line. Usage: node drive.js API_HOST:PORT ECHO_HOST:PORT
"use strict";
const net = require("net");
const { Toxiproxy } = require("toxiproxy-node-client");

function roundTrip(port) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = net.connect(port, "127.0.0.1", () => socket.write(Buffer.alloc(32, 7)));
    let got = 0;
    socket.on("data", (chunk) => {
      got += chunk.length;
      if (got >= 32) {
        socket.end();
        resolve(Number(process.hrtime.bigint() - started) / 1e6);
      }
    });
    socket.on("error", reject);
  });
}

function refused(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => { socket.destroy(); resolve(false); });
    socket.on("error", (e) => resolve(e.code === "ECONNREFUSED"));
  });
}

(async () => {
  const [api, upstream] = process.argv.slice(2);
  const toxiproxy = new Toxiproxy(`http://${api}`);
  const version = await toxiproxy.getVersion();
  const proxy = await toxiproxy.createProxy({ name: "echo", listen: "127.0.0.1:0", upstream });
  const port = Number(proxy.listen.split(":").pop());
  await roundTrip(port); // the first connection through a fresh proxy pays for JIT; time the second
  const plain = await roundTrip(port);

  const toxic = await proxy.addToxic({ name: "slow", type: "latency", stream: "downstream", toxicity: 1, attributes: { latency: 150, jitter: 0 } });
  const slowed = await roundTrip(port);
  const updated = await toxic.update({ ...toxic.toJson(), attributes: { latency: 10, jitter: 0 } });
  const fetched = await proxy.getToxic("slow");
  await fetched.remove();

  const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
  const refusedWhileDown = await refused(port);
  await toxiproxy.reset();
  const again = await roundTrip(port);

  const populated = await toxiproxy.populate([{ name: "second", listen: "127.0.0.1:0", upstream }]);
  const all = await toxiproxy.getAll();
  let missing = "";
  try {
    await toxiproxy.get("nope");
  } catch (e) {
    missing = e.message;
  }
  await (await toxiproxy.get("second")).remove();

  console.log(JSON.stringify({
    version, plain, slowed, updatedLatency: updated.attributes.latency, downEnabled: down.enabled, refusedWhileDown, again,
    populated: Object.keys(populated), names: Object.keys(all).sort(), missing, after: Object.keys(await toxiproxy.getAll()),
  }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
