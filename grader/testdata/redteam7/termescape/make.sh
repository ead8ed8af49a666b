#!/bin/sh
# Red team round 7: a solution directory whose name writes a line of its
# own into the grader's progress ("nplus1   | build: DIR (python)"): a
# newline, a fake PASS line, and an escape sequence (red text; OSC 52 would
# write the terminal's clipboard). With --verbose the solution's output
# did the same.
# Usage: make.sh DIR  (makes DIR/<the name> with the orders-users Python
# starter, which fails) and prints the path to grade.
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
name=$(printf 'x\nPASS  orders-users  ok\033[31m')
mkdir -p "$1/$name"
cp "$root"/challenges/orders-users/starter/python/* "$1/$name/"
printf '%s\n' "$1/$name"
