// Starts one test peer on 127.0.0.1 with a free port and prints "PORT <n>" once it accepts
// connections, so the C++ harness waits on that line instead of sleeping.
//   node start.mjs kinesalite|dynalite|s3rver|fauxqs [data-dir]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [peer, dataDir] = process.argv.slice(2);
const host = '127.0.0.1';

function announce(port) {
  process.stdout.write(`PORT ${port}\n`);
}

function listen(server) {
  server.listen(0, host, () => announce(server.address().port));
}

switch (peer) {
  case 'kinesalite':
    // Its CLI binds every interface; the library lets us choose loopback.
    listen(require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0,
                                   shardLimit: 50 }));
    break;
  case 'dynalite':
    listen(require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0,
                                 ...(dataDir ? { path: dataDir } : {}) }));
    break;
  case 's3rver': {
    const S3rver = require('s3rver');
    const server = new S3rver({ address: host, port: 0, silent: true, directory: dataDir });
    const { port } = await server.run();
    announce(port);
    break;
  }
  case 'fauxqs': {
    const { buildApp } = await import('fauxqs');
    const app = buildApp({ logger: false });
    await app.listen({ port: 0, host });
    announce(app.server.address().port);
    break;
  }
  default:
    process.stderr.write(`unknown peer: ${peer}\n`);
    process.exit(2);
}
