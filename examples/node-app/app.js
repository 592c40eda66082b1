// A tiny HTTP server: answers every request with the uptime, formatted by the `ms` package from npm.
const http = require('http');
const ms = require('ms');
const started = Date.now();
const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`Hello from node-app in Berth, up ${ms(Date.now() - started)}\n`);
}).listen(port, () => console.log(`listening on ${port}`));
