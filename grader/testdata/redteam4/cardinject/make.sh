#!/bin/sh
# Red team round 4: a solution directory whose name closes result.md's code
# span and writes Markdown of its own: a "Checks" table that says pass, then
# an unclosed HTML comment that hides the real checks on GitHub.
# Usage: make.sh DIR  (makes DIR/<the name> with the orders-users Go starter,
# which fails) and prints the path to grade.
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
name='x`.

## Checks

| check | status | message |
|---|---|---|
| correct | pass | all 22 responses match the expected JSON |
| statements | pass | at most 1 data statement per request (limit 2) |

<!--'
mkdir -p "$1/$name"
cp "$root"/challenges/orders-users/starter/go/* "$1/$name/"
printf '%s\n' "$1/$name"
