#!/usr/bin/env bash
# Builds Debian's own RocksDB source package (the version librocksdb-dev has
# installed, with Debian's patches) as a release library, and prints the
# prefix to hand to CMake as KVD_ROCKSDB_PREFIX.
#
# Why: Debian 12 builds librocksdb with CMAKE_BUILD_TYPE=None, so NDEBUG is
# not defined. Every assert() stays in — the memtable skiplist compares keys
# two or three times per step instead of once — and the test-only sync points
# run on every write. The same source built with -DNDEBUG is the library RocksDB
# intends for production; kvd links it statically, so nothing else changes.
#
# Usage: packaging/rocksdb-release.sh            builds once, prints the prefix
# Environment: KVD_DEPS_DIR  where builds are kept (default ~/.cache/kvd)
#              JOBS          parallel compile jobs (default: number of cores)
# Needs: librocksdb-dev (for its version and the compression -dev packages),
# cmake, ninja-build, g++, patch, xz-utils, and apt-get access to Debian's mirror.
set -euo pipefail

log() { echo "[rocksdb-release] $*" >&2; }
die() { log "error: $*"; exit 1; }

version=$(dpkg-query -W -f='${source:Version}' librocksdb-dev 2>/dev/null) || die "librocksdb-dev is not installed"
upstream=${version%-*}
deps=${KVD_DEPS_DIR:-${HOME:-/root}/.cache/kvd}
prefix="$deps/rocksdb-$version-release"
built() { [[ -f "$prefix/lib/librocksdb.a" && -f "$prefix/.complete" ]]; }
if built; then
  echo "$prefix"
  exit 0
fi
# Two configures at once (two build directories) build it once: the second waits.
mkdir -p "$deps"
exec 9>"$deps/.rocksdb-release.lock"
flock 9
if built; then
  echo "$prefix"
  exit 0
fi
for tool in cmake ninja g++ patch xz apt-get flock; do
  command -v "$tool" >/dev/null || die "$tool not found"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/kvd-rocksdb.XXXXXX")
trap 'rm -rf "$work"' EXIT

# apt-get source needs a deb-src entry; use a private one instead of changing
# the machine's apt configuration. The suite is the one the system uses, and
# the mirror too when its sources name one (deb822 .sources or sources.list).
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
# shellcheck disable=SC2016
mirror=$(awk -v suite="$suite" '
  function check() { if (uri != "" && (" " suites " ") ~ (" " suite " ")) { print uri; found = 1; exit } uri = ""; suites = "" }
  FNR == 1 || /^[[:space:]]*$/ { check() }
  /^URIs:/ { uri = $2 }
  /^Suites:/ { $1 = ""; suites = $0 }
  END { if (!found) check() }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
if [[ -z "$mirror" ]]; then
  mirror=$(awk -v suite="$suite" '$1 == "deb" && $0 ~ " " suite " " { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
    /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/apt/parts" "$work/src"
cat > "$work/apt/parts/debian-src.sources" <<EOF
Types: deb-src
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_private=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/apt/parts"
             -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
             -o "APT::Sandbox::User=$(id -un)")
log "fetching Debian's rocksdb $version source package from $mirror"
apt-get "${apt_private[@]}" update >&2
(cd "$work/src" && apt-get "${apt_private[@]}" source --download-only "rocksdb=$version" >&2)

log "unpacking and applying Debian's patches"
tar -C "$work/src" -xzf "$work/src/rocksdb_${upstream}.orig.tar.gz"
source_dir="$work/src/rocksdb-$upstream"
tar -C "$source_dir" -xJf "$work/src/rocksdb_${version}.debian.tar.xz"
if [[ -f "$source_dir/debian/patches/series" ]]; then
  while read -r name _; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    patch -d "$source_dir" -p1 --quiet < "$source_dir/debian/patches/$name" || die "patch $name does not apply"
  done < "$source_dir/debian/patches/series"
fi

# Debian's options, except: release (NDEBUG), only the static library, RTTI
# kept (kvd subclasses RocksDB's compaction filter and slice transform).
sse=()
[[ "$(uname -m)" == x86_64 ]] && sse=(-DFORCE_SSE42=ON)
log "building (about ten minutes on 2 cores)"
cmake -G Ninja -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DUSE_RTTI=1 -DPORTABLE=ON "${sse[@]}" \
  -DWITH_BZ2=ON -DWITH_LZ4=ON -DWITH_ZLIB=ON -DWITH_ZSTD=ON -DWITH_SNAPPY=ON -DWITH_GFLAGS=OFF \
  -DROCKSDB_BUILD_SHARED=OFF -DWITH_TESTS=OFF -DWITH_TOOLS=OFF -DWITH_CORE_TOOLS=OFF \
  -DWITH_BENCHMARK_TOOLS=OFF -DFAIL_ON_WARNINGS=OFF >&2
rm -rf "$prefix"
ninja -C "$work/build" -j "${JOBS:-$(nproc)}" install >&2
touch "$prefix/.complete"
log "installed into $prefix"
echo "$prefix"
