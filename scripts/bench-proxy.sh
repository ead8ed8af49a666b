#!/usr/bin/env bash
# pgbench through the grader's tracing proxy vs directly to PostgreSQL, side
# by side in one run (issue 7, item 4), with PgBouncer (session mode) as a
# yardstick when it is installed. See BENCHMARKS.md for the method.
#
# Starts a throwaway PostgreSQL and a proxy in front of it (tracing on, RTT 0)
# with scripts/proxyserve, loads pgbench's tables (scale 1), then runs
# `pgbench -S -M extended` for REPS rounds; each round runs, for 1 and for 2
# clients (-j as many threads), direct, through the proxy and through
# PgBouncer, DURATION seconds each. Prints every run, then the medians over
# the rounds of TPS, of the ratio to direct TPS measured in the same round,
# and of the time added per round trip (c/TPS - c/TPS_direct: each of the c
# clients has one round trip per transaction).
#
#   scripts/bench-proxy.sh                        # REPS=3 DURATION=10
#   REPS=5 DURATION=20 CLIENTS="1 2 4" scripts/bench-proxy.sh
#   PGBOUNCER=none scripts/bench-proxy.sh         # without PgBouncer
#   FORWARDERS=1 scripts/bench-proxy.sh           # and bare forwarders too
#   CPUPROFILE=/tmp/proxy.prof scripts/bench-proxy.sh
#   (then: go tool pprof -top <binary printed at the end> /tmp/proxy.prof)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

reps=${REPS:-3}
duration=${DURATION:-10}
clients=${CLIENTS:-"1 2"}
pgbench=${PGBENCH:-$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)}
pgbouncer=${PGBOUNCER:-$(command -v pgbouncer || echo /usr/sbin/pgbouncer)}
[ -x "$pgbench" ] || { echo "bench-proxy: no pgbench (set PGBENCH)" >&2; exit 2; }

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/proxyserve" ./scripts/proxyserve
"$work/proxyserve" ${CPUPROFILE:+-cpuprofile "$CPUPROFILE"} >"$work/env" &
pids+=($!)
for _ in $(seq 150); do
  grep -q '^PROXY=' "$work/env" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "bench-proxy: proxyserve failed" >&2; exit 1; }
  sleep 0.1
done
direct=$(sed -n 's/^DIRECT=//p' "$work/env")
proxied=$(sed -n 's/^PROXY=//p' "$work/env")
[ -n "$proxied" ] || { echo "bench-proxy: proxyserve did not start" >&2; exit 1; }
"$pgbench" -i -q -s 1 "$direct" >/dev/null 2>&1

targets="direct proxy"
if [ -x "$pgbouncer" ]; then
  # DIRECT is postgres://user:password@127.0.0.1:port/db?sslmode=disable.
  read -r user password port db < <(echo "$direct" |
    sed -E 's#^postgres://([^:]*):([^@]*)@[^:]*:([0-9]*)/([^?]*).*#\1 \2 \3 \4#')
  mkdir "$work/bouncer"
  bport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$work/bouncer/pgbouncer.ini" <<INI
[databases]
$db = host=127.0.0.1 port=$port dbname=$db user=$user password=$password
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $work/bouncer/users.txt
pool_mode = session
max_client_conn = 100
default_pool_size = 20
logfile = $work/bouncer/pgbouncer.log
INI
  echo '"bench" ""' >"$work/bouncer/users.txt"
  # PgBouncer refuses to run as root: run it as postgres then.
  as=()
  if [ "$(id -u)" = 0 ]; then as=(-u postgres); chown -R postgres "$work/bouncer"; fi
  "$pgbouncer" "${as[@]}" "$work/bouncer/pgbouncer.ini" 2>/dev/null &
  pids+=($!)
  bouncer="postgres://bench@127.0.0.1:$bport/$db?sslmode=disable"
  for _ in $(seq 50); do
    "$pgbench" -n -S -t 1 "$bouncer" >/dev/null 2>&1 && { targets="direct proxy pgbouncer"; break; }
    sleep 0.1
  done
  [ "$targets" = "direct proxy pgbouncer" ] || echo "bench-proxy: PgBouncer did not start; going on without it" >&2
fi

# Bare forwarders, which read nothing of what they forward, as yardsticks of
# what a hop itself costs here: scripts/forward (C, a thread per direction,
# blocking I/O) and scripts/goforward (Go, in its two modes).
if [ -n "${FORWARDERS:-}" ]; then
  read -r port db < <(echo "$direct" | sed -E 's#^postgres://[^@]*@[^:]*:([0-9]*)/([^?]*).*#\1 \2#')
  forwarders=()
  if command -v "${CC:-cc}" >/dev/null; then
    "${CC:-cc}" -O2 -pthread -o "$work/forward" scripts/forward/forward.c
    forwarders+=("forward-c:$work/forward")
  else
    echo "bench-proxy: no C compiler (set CC); going on without scripts/forward" >&2
  fi
  go build -o "$work/goforward" ./scripts/goforward
  forwarders+=("go-netpoll:$work/goforward -mode netpoll" "go-blocking:$work/goforward -mode blocking"
    "go-blocking-p16:env GOMAXPROCS=16 $work/goforward -mode blocking")
  declare -A forward_url
  for f in "${forwarders[@]}"; do
    name=${f%%:*}
    fport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    ${f#*:} "$fport" "$port" &
    pids+=($!)
    forward_url[$name]=$(echo "$direct" | sed -E "s#@[^:/]*:[0-9]+/#@127.0.0.1:$fport/#")
    ok=
    for _ in $(seq 50); do
      "$pgbench" -n -S -t 1 "${forward_url[$name]}" >/dev/null 2>&1 && { targets="$targets $name"; ok=1; break; }
      sleep 0.1
    done
    [ -n "$ok" ] || echo "bench-proxy: $name did not answer; going on without it" >&2
  done
fi

# tps runs pgbench and prints its TPS (without the initial connection time).
tps() {
  local url
  case $2 in direct) url=$direct ;; proxy) url=$proxied ;; pgbouncer) url=$bouncer ;; *) url=${forward_url[$2]} ;; esac
  "$pgbench" -n -S -M extended -c "$1" -j "$1" -T "$duration" "$url" 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'
}

echo "pgbench -S -M extended, ${duration}s per run, $reps rounds; $(nproc) CPUs; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$pgbench" --version); targets: $targets"
printf '%-6s %-8s %-12s %10s %10s %14s\n' round clients target tps vs_direct added_us_rt
for r in $(seq "$reps"); do
  for c in $clients; do
    d=
    for t in $targets; do
      v=$(tps "$c" "$t")
      [ -n "$v" ] || { echo "bench-proxy: pgbench failed against $t" >&2; exit 1; }
      [ -n "$d" ] || d=$v
      awk -v r="$r" -v c="$c" -v t="$t" -v d="$d" -v v="$v" 'BEGIN {
        printf "%-6s %-8s %-12s %10.0f %10.3f %14.1f\n", r, c, t, v, v/d, (c/v - c/d)*1e6 }' |
        tee -a "$work/runs"
    done
  done
done

echo
echo "medians of $reps rounds (load average at end $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%-8s %-12s %10s %10s %14s\n' clients target tps vs_direct added_us_rt
for c in $clients; do
  for t in $targets; do
    awk -v c="$c" -v t="$t" '$2 == c && $3 == t' "$work/runs" | awk '
      function median(a, n,   i, j, x) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { x = a[j]; a[j] = a[j-1]; a[j-1] = x }
        return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
      }
      { n++; v[n] = $4; q[n] = $5; u[n] = $6; c = $2; t = $3 }
      END { printf "%-8s %-12s %10.0f %10.3f %14.1f\n", c, t, median(v, n), median(q, n), median(u, n) }'
  done
done
