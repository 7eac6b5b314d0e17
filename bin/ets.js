#!/usr/bin/env node
"use strict";
// The `ets` command: runs the TypeScript CLI through tsx's CommonJS loader (no build step).
require("tsx/cjs");
require("../client/cli/main.ts");
