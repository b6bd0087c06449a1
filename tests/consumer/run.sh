#!/bin/sh
# The consumer test: installs the build into a temporary prefix, then builds and runs
# tests/consumer/main.cpp found through pkg-config (shared and --static) and through
# CMake's find_package(snow). No LD_LIBRARY_PATH: a program linked as the guide says must
# start from a non-standard prefix on its own (snow.pc puts an rpath to its libdir).
#   tests/consumer/run.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset LD_LIBRARY_PATH
DESTDIR="$tmp/root" meson install -C "$build" --quiet --no-rebuild >/dev/null
prefix=$(find "$tmp/root" -name snow.pc -path '*pkgconfig*' | head -n 1)
[ -n "$prefix" ] || { echo "consumer: no snow.pc was installed"; exit 1; }
pcdir=$(dirname "$prefix")
libdir=$(dirname "$pcdir")
# The .pc file names the configured prefix; it was installed under DESTDIR instead.
configured=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix snow)

# Builds main.cpp with `pkg-config [--static] --cflags --libs snow` and runs it. Both
# link libsnow.so (-lsnow; --static adds the dependencies' private libraries): check it was
# loaded from the installed libdir, so the shared case is what was tested.
pkg_config_case() {
  echo "-- pkg-config ${1:-(shared)}"
  # shellcheck disable=SC2086
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$configured" $1 --cflags --libs snow)
  # shellcheck disable=SC2086
  c++ "$here/main.cpp" $flags -o "$tmp/pc_consumer"
  "$tmp/pc_consumer"
  loaded=$(ldd "$tmp/pc_consumer" | grep 'libsnow\.so' || true)
  case "$loaded" in
    *"=> $libdir/libsnow.so"*) ;;
    *) echo "consumer: pkg-config ${1:-} did not load the installed libsnow.so: ${loaded:-not linked}"; exit 1 ;;
  esac
}
pkg_config_case ""
pkg_config_case --static

echo "-- cmake find_package(snow)"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"
