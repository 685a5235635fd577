// A real SMTP server on loopback for the tests (npm's smtp-server): every
// mail it accepts is written to a folder as <n>.eml, with <n>.json beside
// it (the envelope and the login used), so a test reads what arrived the
// way a person's mailbox would have it.
//
//   node end2end/smtp/mailbox.mjs --dir DIR [--port N] [--refuse CODE]
//                                 [--tls-key KEY.pem --tls-cert CERT.pem [--implicit-tls]]
//
// --port 0 (the default) picks a free port. Once listening it prints
// `listening on 127.0.0.1:<port>` on stdout. --refuse 550 answers every
// mail with that code (5xx: refused for good; 4xx: try again later).
// Authentication (AUTH PLAIN/LOGIN) is accepted with any password and
// recorded. With a key and certificate it offers STARTTLS, or with
// --implicit-tls speaks TLS from the first byte (smtps); without, no TLS.
import { SMTPServer } from 'smtp-server';
import { mkdirSync, writeFileSync, renameSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const dir = option('dir');
if (!dir) {
  console.error('usage: mailbox.mjs --dir DIR [--port N] [--refuse CODE]');
  process.exit(2);
}
const port = Number(option('port', '0'));
const refuse = option('refuse') ? Number(option('refuse')) : null;
const tlsKey = option('tls-key');
const tlsCert = option('tls-cert');
const tls = tlsKey && tlsCert ? { key: readFileSync(tlsKey), cert: readFileSync(tlsCert) } : null;
mkdirSync(dir, { recursive: true });
let received = readdirSync(dir).filter((name) => name.endsWith('.eml')).length;

const server = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: tls ? [] : ['STARTTLS'],
  ...(tls ?? {}),
  secure: Boolean(tls) && args.includes('--implicit-tls'),
  logger: false,
  onAuth(auth, session, callback) {
    callback(null, { user: { username: auth.username, password: auth.password } });
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (chunk) => chunks.push(chunk));
    stream.on('end', () => {
      if (refuse) {
        const error = new Error(`refused by the test mailbox (${refuse})`);
        error.responseCode = refuse;
        callback(error);
        return;
      }
      received += 1;
      const name = String(received).padStart(4, '0');
      const envelope = {
        mailFrom: session.envelope.mailFrom && session.envelope.mailFrom.address,
        rcptTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
        user: session.user || null,
        secure: Boolean(session.secure),
      };
      // Written under temporary names, then renamed: a reader never sees
      // half a mail.
      writeFileSync(join(dir, `.${name}.json`), JSON.stringify(envelope));
      writeFileSync(join(dir, `.${name}.eml`), Buffer.concat(chunks));
      renameSync(join(dir, `.${name}.json`), join(dir, `${name}.json`));
      renameSync(join(dir, `.${name}.eml`), join(dir, `${name}.eml`));
      callback(null, `queued as ${name}`);
    });
  },
});
server.on('error', (error) => {
  console.error(`mailbox: ${error.message}`);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${server.server.address().port}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
