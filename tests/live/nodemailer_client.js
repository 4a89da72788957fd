#!/usr/bin/env node
// A small SMTP client on Nodemailer (Debian's node-nodemailer), for
// `smtpfuzz audit`.
//
// usage: nodemailer_client.js --mode starttls|implicit --tls required|opportunistic
//                             --addr A --port P --host NAME --cafile F
//                             --user U --password P --from F --to T --message FILE
//
// It connects to ADDR and verifies the certificate for NAME (tls.servername),
// as a client that resolved NAME to ADDR would: secure: true for implicit
// TLS, requireTLS for STARTTLS when TLS is required. AUTH when the server
// offers it. Exit 0 when the message was accepted.
'use strict';
const fs = require('fs');
const nodemailer = require('/usr/share/nodejs/nodemailer');

const keys = ['mode', 'tls', 'addr', 'port', 'host', 'cafile', 'user', 'password', 'from', 'to',
              'message'];
const a = { timeout: '30' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!argv[i].startsWith('--') || i + 1 >= argv.length || !(keys.includes(k) || k === 'timeout')) {
    console.error(`usage: see the top of ${process.argv[1]} (bad argument '${argv[i]}')`);
    process.exit(2);
  }
  a[k] = argv[i + 1];
}
for (const k of keys) {
  if (a[k] === undefined) {
    console.error(`${process.argv[1]}: --${k} is required`);
    process.exit(2);
  }
}
const ms = Number(a.timeout) * 1000;
const transport = nodemailer.createTransport({
  host: a.addr,
  port: Number(a.port),
  secure: a.mode === 'implicit',
  requireTLS: a.mode === 'starttls' && a.tls === 'required',
  ignoreTLS: a.mode !== 'starttls' && a.mode !== 'implicit',
  tls: { ca: fs.readFileSync(a.cafile), servername: a.host, rejectUnauthorized: true },
  auth: { user: a.user, pass: a.password },
  name: 'client.example.org',
  connectionTimeout: ms,
  greetingTimeout: ms,
  socketTimeout: ms,
});
transport.sendMail({ envelope: { from: a.from, to: [a.to] }, raw: fs.readFileSync(a.message) },
  (err) => {
    if (err) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    process.exit(0);
  });
