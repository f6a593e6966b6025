#!/usr/bin/env bash
# The web client's Markdown parser under Node's test runner (markdown_test.mjs), without a browser: the
# client's modules are copied beside the test, into a folder Node treats as ES modules.
# usage: run-markdown-test.sh WEB_DIR WORK_DIR
set -euo pipefail
web=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/web"
cp "$web"/*.js "$work/web/"
printf '{"type": "module"}\n' >"$work/package.json"
cp "$here/markdown_test.mjs" "$work/"
cd "$work" && node --test markdown_test.mjs
