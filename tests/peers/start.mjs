// Starts one test peer on 127.0.0.1 with a free port and prints "PORT <n>" once it accepts
// connections, so the C++ harness waits on that line instead of sleeping.
//   node start.mjs kinesalite|dynalite|s3rver|fauxqs [data-dir]
//   node start.mjs smtp-server <mail-dir> [--auth USER:PASS] [--starttls|--implicit-tls CERT KEY]
//                                         [--refuse ADDRESS]...
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

// An SMTP sink: every accepted message becomes <mail-dir>/<n>.eml (the DATA bytes as received)
// plus <n>.json (envelope, EHLO name, TLS, authenticated user). Both files are written before the
// server answers 250 to the end of DATA, so a client whose send succeeded finds them at once.
// Without --starttls/--implicit-tls the server offers no STARTTLS; with --auth a login is
// required; each --refuse address is answered 550 at RCPT TO.
async function smtpSink(mailDir, args) {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { SMTPServer } = require('smtp-server');
  let auth = null;
  let tls = null;
  let secure = false;
  const refused = new Set();
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === '--auth') {
      const [user, ...rest] = args[++i].split(':');
      auth = { user, pass: rest.join(':') };
    } else if (args[i] === '--starttls' || args[i] === '--implicit-tls') {
      secure = args[i] === '--implicit-tls';
      tls = { cert: fs.readFileSync(args[++i]), key: fs.readFileSync(args[++i]) };
    } else if (args[i] === '--refuse') {
      refused.add(args[++i].toLowerCase());
    } else {
      throw new Error(`smtp-server sink: unknown option ${args[i]}`);
    }
  }
  let count = 0;
  const server = new SMTPServer({
    secure,
    ...(tls ?? {}),
    disabledCommands: tls ? [] : ['STARTTLS'],
    authOptional: !auth,
    allowInsecureAuth: true,  // the tests decide whether AUTH goes over TLS, not the sink
    disableReverseLookup: true,
    logger: false,
    onAuth(login, session, callback) {
      if (auth && login.username === auth.user && login.password === auth.pass) {
        return callback(null, { user: login.username });
      }
      return callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, session, callback) {
      if (refused.has(address.address.toLowerCase())) {
        const error = new Error(`<${address.address}>: mailbox unavailable`);
        error.responseCode = 550;
        return callback(error);
      }
      return callback();
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      stream.on('end', () => {
        const name = path.join(mailDir, String(++count));
        fs.writeFileSync(`${name}.eml`, Buffer.concat(chunks));
        fs.writeFileSync(`${name}.json`, JSON.stringify({
          mailFrom: session.envelope.mailFrom.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          ehlo: session.hostNameAppearsAs,
          secure: session.secure,
          user: session.user ?? null,
        }));
        callback(null, 'queued');
      });
    },
  });
  server.on('error', (error) => process.stderr.write(`smtp-server sink: ${error.message}\n`));
  server.listen(0, host, () => announce(server.server.address().port));
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
  case 'smtp-server':
    await smtpSink(dataDir, process.argv.slice(4));
    break;
  default:
    process.stderr.write(`unknown peer: ${peer}\n`);
    process.exit(2);
}
