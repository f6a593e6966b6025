// Calls a lanchat node with @grpc/grpc-js over mutual TLS: the plugin's Echo.Say and the standard health
// service. Prints one JSON object with what it got; the test asserts on it.
// usage: node client.js ADDRESS CA_CERT CLIENT_CERT CLIENT_KEY ECHO_PROTO_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [address, ca, cert, key, protoDir] = process.argv.slice(2);
const credentials = grpc.credentials.createSsl(fs.readFileSync(ca), fs.readFileSync(key), fs.readFileSync(cert));
const options = {'grpc.ssl_target_name_override': 'echo.lan-chat.svc', 'grpc.default_authority': 'echo.lan-chat.svc'};
const load = (file, dir) => grpc.loadPackageDefinition(protoLoader.loadSync(file, {includeDirs: [dir], enums: String}));

const echoPackage = load('lanchat/test/v1/echo.proto', protoDir);
const healthPackage = load('health.proto', __dirname);
const echo = new echoPackage.lanchat.test.v1.Echo(address, credentials, options);
const health = new healthPackage.grpc.health.v1.Health(address, credentials, options);
const deadline = () => new Date(Date.now() + 10000);

const result = {};
echo.Say({text: 'from grpc-js'}, new grpc.Metadata(), {deadline: deadline()}, (error, reply) => {
  result.say = error ? {code: error.code, details: error.details} : reply;
  health.Check({service: 'lanchat.test.v1.Echo'}, {deadline: deadline()}, (error2, status) => {
    result.health = error2 ? {code: error2.code, details: error2.details} : status;
    console.log(JSON.stringify(result));
    process.exit(0);
  });
});
