#!/usr/bin/env bash
# Checks the release configuration: `goreleaser check` on .goreleaser.yaml,
# then a snapshot release of every target (linux, darwin, windows; amd64,
# arm64) into a temporary directory, and then what came out: six archives
# holding the binary, README.md and LICENSE, checksums.txt that verifies,
# static (CGO_ENABLED=0) binaries, and the version, commit and date stamped
# into `nplus1 version`.
#
# Not run by .ci/run: it builds six binaries, which takes minutes.
# goreleaser is run from the Go module proxy (no binary download):
#   GORELEASER_VERSION=v2.15.1 scripts/release-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

version="${GORELEASER_VERSION:-v2.15.1}"
goreleaser() { go run "github.com/goreleaser/goreleaser/v2@${version}" "$@"; }

# goreleaser reads the commit through git and gives up on it ("none") in a
# clone without a remote; lend it one through git's environment (nothing
# is written to the repository's configuration).
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/nplus1/nplus1.git
fi

# The commit goreleaser will stamp, read before the build in case HEAD moves.
commit=$(git rev-parse HEAD)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist="$work/dist"

echo "== goreleaser $version check"
goreleaser check --config .goreleaser.yaml

echo "== goreleaser release --snapshot --clean (dist: $dist)"
# The same configuration, with dist moved out of the work tree.
cp .goreleaser.yaml "$work/goreleaser.yaml"
printf '\ndist: %s\n' "$dist" >>"$work/goreleaser.yaml"
goreleaser release --snapshot --clean --config "$work/goreleaser.yaml"

echo "== archives"
fail=0
count=0
for os in linux darwin windows; do
  for arch in amd64 arm64; do
    ext=tar.gz bin=nplus1
    if [ "$os" = windows ]; then ext=zip bin=nplus1.exe; fi
    archive=$(ls "$dist"/nplus1_*_"${os}_${arch}.${ext}" 2>/dev/null | head -n1 || true)
    if [ -z "$archive" ]; then
      echo "missing archive for $os/$arch" >&2
      fail=1
      continue
    fi
    count=$((count + 1))
    if [ "$ext" = zip ]; then
      list=$(unzip -Z1 "$archive")
    else
      list=$(tar -tzf "$archive")
    fi
    for f in "$bin" README.md LICENSE; do
      if ! grep -qx "$f" <<<"$list"; then
        echo "$archive lacks $f" >&2
        fail=1
      fi
    done
    echo "ok  $(basename "$archive")"
  done
done

echo "== checksums"
(cd "$dist" && sha256sum --check --strict checksums.txt)

echo "== the linux/amd64 binary"
mkdir -p "$work/x"
tar -xzf "$dist"/nplus1_*_linux_amd64.tar.gz -C "$work/x"
out=$("$work/x/nplus1" version)
echo "$out"
case "$out" in
  "nplus1 "*"snapshot"*"(commit $commit, built "*")") ;;
  *) echo "nplus1 version does not show the snapshot version, commit $commit and date" >&2; fail=1 ;;
esac
if ! go version -m "$work/x/nplus1" | grep -q 'CGO_ENABLED=0'; then
  echo "the binary was not built with CGO_ENABLED=0" >&2
  fail=1
fi

if [ "$fail" != 0 ] || [ "$count" != 6 ]; then
  echo "release check FAILED ($count of 6 archives)" >&2
  exit 1
fi
echo "release check passed: 6 archives, checksums verified, version stamped"
