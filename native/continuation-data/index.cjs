'use strict';
// The addon built by `npm ci` (node-gyp, from binding.gyp). Loading throws if it was not built
// (no compiler on the machine, another Node ABI); backend/src/platform/observability/
// continuation-context.ts then falls back to promise hooks.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a native addon is loaded by require
module.exports = require('./build/Release/continuation_data.node');
