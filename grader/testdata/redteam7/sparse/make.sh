#!/bin/sh
# Red team round 7: a solution directory with a sparse file that says a
# terabyte and takes no disk. The grader read it whole three times: the
# digest hashed it (minutes), the idioms scan read a .go file of it into
# memory (out of memory at once), and the sandbox's copy wrote it out
# (the disk filled). A tar or zip upload keeps a sparse file; git does not.
# Usage: make.sh DIR  (makes DIR/sparse with the orders-users Python
# starter and huge.go) and prints the path to grade.
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
mkdir -p "$1/sparse"
cp "$root"/challenges/orders-users/starter/python/* "$1/sparse/"
truncate -s 1T "$1/sparse/huge.go"
printf '%s\n' "$1/sparse"
