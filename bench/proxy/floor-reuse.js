// bench/proxy/floor-raw.js with the origin read into 64 KB buffers used again (net.Socket
// `onread`), as src/http/upstream.ts reads the MMSC: `bench/proxy/cpu.js --floor --floor-script
// floor-reuse.js`. Usage: node bench/proxy/floor-reuse.js LISTEN_PORT ORIGIN_PORT
'use strict';
process.env.FLOOR_REUSE = '1';
require('./floor-raw.js');
