// Drives the Source RCON client rcon-srcds (npm) against a server on
// loopback, for tests/system/check-standin --rcon and the system test.
//   node rcon-check.js MODULES_DIR HOST PORT PASSWORD [COMMAND]
// Authenticates with PASSWORD and, if that works, runs COMMAND (default
// "status").  Prints one JSON line: {"auth": true, "output": "..."} or
// {"auth": false, "error": "..."}; exits 0 either way (1 on a usage or
// load error), so the caller decides what it expected.
//
// One shim: rcon-srcds takes each socket 'data' event for exactly one
// packet (its issue #9), but srcds writes the empty RESPONSE_VALUE and the
// AUTH_RESPONSE together, so TCP may hand both over in one read.  The
// shim re-frames the socket's data into whole packets by their size field
// before the library sees them; the protocol logic is the library's own.
'use strict';

const [modules, host, port, password, command] = process.argv.slice(2);
if (!modules || !host || !port || password === undefined) {
  process.stderr.write('usage: rcon-check.js MODULES_DIR HOST PORT PASSWORD [COMMAND]\n');
  process.exit(1);
}
const Rcon = require(`${modules}/node_modules/rcon-srcds`).default;

function frame(sock) {
  let buf = Buffer.alloc(0);
  const emit = sock.emit.bind(sock);
  sock.emit = (event, ...args) => {
    if (event !== 'data') return emit(event, ...args);
    buf = Buffer.concat([buf, args[0]]);
    while (buf.length >= 4) {
      const n = buf.readInt32LE(0) + 4;
      if (buf.length < n) break;
      const packet = buf.subarray(0, n);
      buf = buf.subarray(n);
      emit('data', packet);
    }
    return true;
  };
}

const connect = Rcon.prototype.connect;
Rcon.prototype.connect = async function () {
  await connect.call(this);
  frame(this.connection);
};

(async () => {
  const rcon = new Rcon({ host, port: Number(port), timeout: 5000 });
  let result;
  try {
    await rcon.authenticate(password);
    const output = await rcon.execute(command || 'status');
    result = { auth: true, output };
    await rcon.disconnect();
  } catch (e) {
    result = { auth: false, error: String(e && e.message ? e.message : e) };
    if (rcon.isConnected()) rcon.disconnect().catch(() => {});
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
})();
