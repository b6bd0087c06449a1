#!/bin/sh
# The consumer test: installs the build into a temporary prefix, then builds and runs
# tests/consumer/main.cpp found through pkg-config and through CMake's find_package(snow).
#   tests/consumer/run.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DESTDIR="$tmp/root" meson install -C "$build" --quiet --no-rebuild >/dev/null
prefix=$(find "$tmp/root" -name snow.pc -path '*pkgconfig*' | head -n 1)
[ -n "$prefix" ] || { echo "consumer: no snow.pc was installed"; exit 1; }
pcdir=$(dirname "$prefix")
libdir=$(dirname "$pcdir")

echo "-- pkg-config"
# The .pc file names the configured prefix; it was installed under DESTDIR instead.
configured=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix snow)
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$configured" --cflags --libs snow)
# shellcheck disable=SC2086
c++ "$here/main.cpp" $flags -o "$tmp/pc_consumer"
LD_LIBRARY_PATH="$libdir" "$tmp/pc_consumer"

echo "-- cmake find_package(snow)"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"
