#!/bin/sh
# Red team round 8: a Java solution whose postgresql.jar is a FIFO. The
# grader looks into a solution's own jars for the driver's class, as
# itself, before any sandbox: its open of the FIFO waited for a writer,
# forever: the grade hung past its wall-time watchdog and ignored SIGTERM
# (10 minutes, until a writer opened the FIFO). A tar upload keeps a FIFO;
# git does not, so this script makes it.
# Usage: make.sh DIR  (makes DIR/fifojar with the orders-users java
# reference and the FIFO) and prints the path to grade.
set -eu
root=$(cd "$(dirname "$0")/../../../.." && pwd)
mkdir -p "$1/fifojar"
cp "$root"/challenges/orders-users/reference/java/* "$1/fifojar/"
mkfifo "$1/fifojar/postgresql.jar"
printf '%s\n' "$1/fifojar"
