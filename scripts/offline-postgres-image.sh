#!/usr/bin/env bash
# Builds a PostgreSQL container image without any registry, from this
# machine's installed PostgreSQL 15 (Debian's postgresql-15 package), so that
# the docker provider can be tested where nothing can be pulled:
#
#   scripts/offline-postgres-image.sh            # builds nplus1/postgres:15-offline
#   nplus1 grade ./solution --postgres docker --image nplus1/postgres:15-offline
#
# The image is a minimal root filesystem: busybox-static (Debian) for /bin/sh
# and the usual tools, the server, initdb, pg_ctl and psql with their shared
# libraries (ldd; without the LLVM JIT), the server's modules and share
# files, UTC zoneinfo, a postgres user, and a POSIX-sh entrypoint that
# honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD and /docker-entrypoint-initdb.d like the official
# image, and like it prints "database system is ready to accept connections"
# twice (the temporary init server, then the real one). It is imported with
# `docker import`.
#
# Idempotent: the image carries a label with a fingerprint of this script and
# of the installed PostgreSQL; when an image with the same fingerprint exists
# the script exits at once.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin). Argument: the
# image name (default nplus1/postgres:15-offline). Needs a Docker engine, and
# root to apt-get install busybox-static when it is missing.
set -euo pipefail

image="${1:-nplus1/postgres:15-offline}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_share="$("$pg_bin/pg_config" --sharedir)"
pg_lib="$("$pg_bin/pg_config" --pkglibdir)"
pg_uid=999 # the official Debian-based image's postgres uid and gid

die() {
	printf 'offline-postgres-image: %s\n' "$*" >&2
	exit 1
}

[ -x "$pg_bin/postgres" ] || die "no PostgreSQL server in $pg_bin (apt-get install postgresql-15, or set PG_BIN)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

pg_version="$(dpkg-query -W -f '${Version}' postgresql-15 2>/dev/null || "$pg_bin/postgres" --version)"
fingerprint="$({ cat "$0"; printf '%s\n' "$pg_bin" "$pg_version"; } | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "nplus1.fingerprint" }}' "$image" 2>/dev/null)" = "$fingerprint" ]; then
	echo "$image is up to date ($fingerprint)"
	exit 0
fi

# busybox-static, not Debian's dynamically linked busybox: the image has no
# libraries for it. ldd fails on a static executable.
busybox=/bin/busybox
if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
	[ "$(id -u)" = 0 ] || die "busybox-static is missing: apt-get install busybox-static (as root)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null ||
		die "apt-get install busybox-static failed"
fi
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: apt-get install busybox-static"
fi

root="$(mktemp -d "${TMPDIR:-/tmp}/nplus1-pgimage-XXXXXX")"
trap 'rm -rf "$root"' EXIT

# Merged /usr layout, as on Debian 12: ldd's /lib/... paths land in usr/lib.
mkdir -p "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib "$root"/usr/lib64 \
	"$root"/etc "$root"/tmp "$root"/var/run/postgresql "$root"/var/lib/postgresql/data \
	"$root"/docker-entrypoint-initdb.d "$root"/usr/local/bin "$root"/usr/share/zoneinfo/Etc
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp" "$root/var/lib/postgresql/data"
chmod 3775 "$root/var/run/postgresql"

# busybox and its applets (sh, su, id, chown, mktemp, gunzip, xzcat, ...).
cp "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
	[ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done

# The server and client programs, the server's modules without the JIT,
# and every shared library they need.
mkdir -p "$root$pg_bin" "$root$pg_lib" "$root$pg_share"
for prog in postgres initdb pg_ctl psql pg_isready; do
	cp "$pg_bin/$prog" "$root$pg_bin/"
done
ln -s postgres "$root$pg_bin/postmaster"
find "$pg_lib" -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp {} "$root$pg_lib/" \;
for elf in "$root$pg_bin"/* "$root$pg_lib"/*.so; do
	[ -L "$elf" ] && continue
	ldd "${elf#"$root"}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# Share files (without the man pages); listen on all interfaces by default,
# as the official image does.
tar -C "$pg_share" --exclude=./man -cf - . | tar -C "$root$pg_share" -xf -
sed -i "s/^#\{0,1\}listen_addresses[[:space:]]*=.*/listen_addresses = '*'/" "$root$pg_share/postgresql.conf.sample"
grep -q "^listen_addresses = '\*'" "$root$pg_share/postgresql.conf.sample" || die "could not set listen_addresses in postgresql.conf.sample"
cp /usr/share/zoneinfo/Etc/UTC "$root/usr/share/zoneinfo/Etc/UTC"
ln -s Etc/UTC "$root/usr/share/zoneinfo/UTC"
ln -s /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"

cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
postgres:x:$pg_uid:$pg_uid:PostgreSQL:/var/lib/postgresql:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
postgres:x:$pg_uid:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
# Entrypoint of nplus1's offline PostgreSQL image: the behaviour of the
# official image's docker-entrypoint.sh, in POSIX sh. On an empty PGDATA it
# runs initdb for POSTGRES_USER with POSTGRES_PASSWORD, starts a temporary
# server on the Unix socket only, creates POSTGRES_DB, runs
# /docker-entrypoint-initdb.d/*.sh, *.sql, *.sql.gz and *.sql.xz in order,
# stops the temporary server, and then runs the real one.
set -eu

# file_env VAR [DEFAULT]: VAR, or the contents of the file VAR_FILE names.
file_env() {
	eval "val=\${$1:-} file=\${$1_FILE:-}"
	if [ -n "$val" ] && [ -n "$file" ]; then
		echo "error: both $1 and $1_FILE are set (but are exclusive)" >&2
		exit 1
	fi
	if [ -n "$file" ]; then
		val="$(cat "$file")"
	fi
	[ -n "$val" ] || val="${2:-}"
	export "$1=$val"
	unset "$1_FILE"
}

# quote ARG...: each argument single-quoted for sh -c (pg_ctl -o).
quote() {
	for arg; do
		printf "'%s' " "$(printf '%s' "$arg" | sed "s/'/'\\\\''/g")"
	done
}

want_help() {
	for arg; do
		case "$arg" in
		'-?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

run_sql() {
	PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc "$@"
}

if [ "${1#-}" != "${1:-}" ]; then
	set -- postgres "$@"
fi

if [ "${1:-}" = postgres ] && ! want_help "$@"; then
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"

	if [ "$(id -u)" = 0 ]; then
		mkdir -p "$PGDATA" /var/run/postgresql
		chmod 700 "$PGDATA"
		chmod 3775 /var/run/postgresql
		chown -R postgres:postgres "$PGDATA" /var/run/postgresql
		# Restart this script as postgres, keeping the environment.
		exec su -p -s /bin/sh -- postgres "$0" "$@"
	fi

	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
			echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
			echo '       Set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust).' >&2
			exit 1
		fi
		ls /docker-entrypoint-initdb.d/ >/dev/null

		pwfile="$(mktemp)"
		printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
		# UTF8 and the C locale unless POSTGRES_INITDB_ARGS says otherwise:
		# the image has no locale files.
		eval 'initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C '"$POSTGRES_INITDB_ARGS"
		rm -f "$pwfile"

		shift # "postgres": the rest are the server's arguments
		auth="$(postgres -C password_encryption "$@")"
		: "${POSTGRES_HOST_AUTH_METHOD:=$auth}"
		printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

		export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
		# The temporary server listens on the Unix socket only; its log goes
		# to ours, "ready to accept connections" included.
		PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" \
			-o "$(quote "$@" -c listen_addresses= -p "${PGPORT:-5432}")" -w start

		exists="$(run_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only <<-'EOSQL'
			SELECT 1 FROM pg_database WHERE datname = :'db' ;
		EOSQL
		)"
		if [ -z "$exists" ]; then
			run_sql --dbname postgres --set db="$POSTGRES_DB" <<-'EOSQL'
				CREATE DATABASE :"db" ;
			EOSQL
		fi

		echo
		for f in /docker-entrypoint-initdb.d/*; do
			[ -e "$f" ] || continue
			case "$f" in
			*.sh)
				if [ -x "$f" ]; then
					echo "$0: running $f"
					"$f"
				else
					echo "$0: sourcing $f"
					. "$f"
				fi
				;;
			*.sql) echo "$0: running $f"; run_sql --dbname "$POSTGRES_DB" -f "$f" ;;
			*.sql.gz) echo "$0: running $f"; gunzip -c "$f" | run_sql --dbname "$POSTGRES_DB" ;;
			*.sql.xz) echo "$0: running $f"; xzcat "$f" | run_sql --dbname "$POSTGRES_DB" ;;
			*) echo "$0: ignoring $f" ;;
			esac
		done

		PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
		unset PGPASSWORD
		printf '\nPostgreSQL init process complete; ready for start up.\n\n'
		set -- postgres "$@"
	else
		printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
	fi
fi

exec "$@"
ENTRYPOINT
chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
ln -s usr/local/bin/docker-entrypoint.sh "$root/docker-entrypoint.sh"

old_id="$(docker image inspect -f '{{ .Id }}' "$image" 2>/dev/null || true)"
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
	docker import \
		--change "ENV PATH=$pg_bin:/usr/local/bin:/usr/bin:/bin" \
		--change 'ENV PGDATA=/var/lib/postgresql/data' \
		--change 'ENV TZ=UTC' \
		--change "ENV PG_MAJOR=15" \
		--change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
		--change 'CMD ["postgres"]' \
		--change 'EXPOSE 5432' \
		--change "LABEL nplus1.fingerprint=$fingerprint" \
		--message "nplus1 offline PostgreSQL from $pg_bin ($pg_version)" \
		- "$image" >/dev/null

# The image this one replaces, now untagged, goes (unless a container uses it).
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{ .Id }}' "$image")" ]; then
	docker image rm "$old_id" >/dev/null 2>&1 || true
fi

# A quick check that the programs run in the image.
docker run --rm --entrypoint postgres "$image" --version >/dev/null ||
	die "the built image cannot run postgres --version"
echo "built $image ($fingerprint, $(docker image inspect -f '{{ .Size }}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
