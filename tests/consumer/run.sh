#!/bin/sh
# The consumer test: installs the build into a temporary prefix, then builds and runs
# tests/consumer/main.cpp found through pkg-config (shared and --static) and through
# CMake's find_package(snow); and the same for snow::testing, with the example
# examples/testing_partition.cpp (a user's test of a two-node program under a partition):
# pkg-config snow-testing and find_package(snow COMPONENTS testing). No LD_LIBRARY_PATH:
# a program linked as the guide says must start from a non-standard prefix on its own
# (snow.pc and snow-testing.pc put an rpath to their libdir).
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

# Builds SOURCE with `pkg-config [--static] --cflags --libs PACKAGE` and runs it. Both
# link the shared libraries (-lsnow, -lsnow_testing; --static adds the dependencies'
# private libraries): check each was loaded from the installed libdir, so the shared
# case is what was tested.
#   pkg_config_case PACKAGE SOURCE [--static]
pkg_config_case() {
  package=$1 source=$2 static=${3:-}
  echo "-- pkg-config $package ${static:-(shared)}"
  # shellcheck disable=SC2086
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$configured" $static --cflags --libs "$package")
  # shellcheck disable=SC2086
  c++ "$source" $flags -o "$tmp/pc_consumer"
  "$tmp/pc_consumer"
  libs=libsnow
  [ "$package" = snow-testing ] && libs="libsnow libsnow_testing"
  for lib in $libs; do
    loaded=$(ldd "$tmp/pc_consumer" | grep "$lib\\.so" || true)
    case "$loaded" in
      *"=> $libdir/$lib.so"*) ;;
      *) echo "consumer: pkg-config $package $static did not load the installed $lib.so: ${loaded:-not linked}"; exit 1 ;;
    esac
  done
}
pkg_config_case snow "$here/main.cpp"
pkg_config_case snow "$here/main.cpp" --static
testing_example="$here/../../examples/testing_partition.cpp"
pkg_config_case snow-testing "$testing_example"
pkg_config_case snow-testing "$testing_example" --static

echo "-- cmake find_package(snow)"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"

echo "-- cmake find_package(snow COMPONENTS testing)"
cmake -S "$here/testing" -B "$tmp/cmake-testing" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake-testing" >/dev/null
"$tmp/cmake-testing/testing_partition"
