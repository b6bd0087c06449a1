#!/bin/sh
# The consumer test: installs the build into a temporary prefix, then builds and runs
# tests/consumer/main.cpp found through pkg-config (shared and --static) and through
# CMake's find_package(snow); and the same for snow::testing, with the example
# examples/testing_partition.cpp (a user's test of a two-node program under a partition):
# pkg-config snow-testing and find_package(snow COMPONENTS testing); and for the Snow
# language's library, libsnow_lang, a Snow program (lang/echo.snow) whose C++ the
# installed snowc emits: pkg-config snow-lang and find_package(snow COMPONENTS lang). A
# plain C++ program of libsnow does not link libsnow_lang. No LD_LIBRARY_PATH:
# a program linked as the guide says must start from a non-standard prefix on its own
# (snow.pc, snow-testing.pc and snow-lang.pc put an rpath to their libdir).
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
# link the shared libraries (-lsnow, -lsnow_testing, -lsnow_lang; --static adds the
# dependencies' private libraries): check each was loaded from the installed libdir, so
# the shared case is what was tested, and that snow alone does not bring libsnow_lang.
#   pkg_config_case PACKAGE SOURCE [--static]
pkg_config_case() {
  package=$1 source=$2 static=${3:-}
  echo "-- pkg-config $package ${static:-(shared)}"
  # shellcheck disable=SC2086
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$configured" $static --cflags --libs "$package")
  # shellcheck disable=SC2086
  c++ "$source" $flags -o "$tmp/pc_consumer"
  out=$("$tmp/pc_consumer")
  [ -z "$out" ] || echo "$out"
  libs=libsnow
  [ "$package" = snow-testing ] && libs="libsnow libsnow_testing"
  [ "$package" = snow-lang ] && libs="libsnow libsnow_lang"
  for lib in $libs; do
    loaded=$(ldd "$tmp/pc_consumer" | grep "$lib\\.so" || true)
    case "$loaded" in
      *"=> $libdir/$lib.so"*) ;;
      *) echo "consumer: pkg-config $package $static did not load the installed $lib.so: ${loaded:-not linked}"; exit 1 ;;
    esac
  done
  if [ "$package" = snow ] && ldd "$tmp/pc_consumer" | grep -q 'libsnow_lang\.so'; then
    echo "consumer: a plain C++ program of libsnow links libsnow_lang"; exit 1
  fi
}
pkg_config_case snow "$here/main.cpp"
pkg_config_case snow "$here/main.cpp" --static
testing_example="$here/../../examples/testing_partition.cpp"
pkg_config_case snow-testing "$testing_example"
pkg_config_case snow-testing "$testing_example" --static
# A Snow program: the installed snowc emits its C++ (snowc finds its package from where
# it is installed), which builds against snow-lang.
snowc=$(find "$tmp/root" -path '*/bin/snowc' | head -n 1)
[ -n "$snowc" ] || { echo "consumer: no snowc was installed"; exit 1; }
"$snowc" emit "$here/lang/echo.snow" -o "$tmp/echo.cc"
lang_expected='echo: %{answer => 42} 3 "snow"'
for static in "" --static; do
  lang_out=$(pkg_config_case snow-lang "$tmp/echo.cc" $static)
  echo "$lang_out"
  case "$lang_out" in
    *"$lang_expected"*) ;;
    *) echo "consumer: the Snow program printed something else than: $lang_expected"; exit 1 ;;
  esac
done

echo "-- cmake find_package(snow)"
cmake -S "$here" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake" >/dev/null
"$tmp/cmake/consumer"

echo "-- cmake find_package(snow COMPONENTS testing)"
cmake -S "$here/testing" -B "$tmp/cmake-testing" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/cmake-testing" >/dev/null
"$tmp/cmake-testing/testing_partition"

echo "-- cmake find_package(snow COMPONENTS lang)"
cmake -S "$here/lang" -B "$tmp/cmake-lang" -DCMAKE_PREFIX_PATH="$libdir/cmake" -DCMAKE_BUILD_TYPE=Release \
  -DSNOW_PROGRAM="$tmp/echo.cc" >/dev/null
cmake --build "$tmp/cmake-lang" >/dev/null
lang_out=$("$tmp/cmake-lang/echo")
echo "$lang_out"
[ "$lang_out" = "$lang_expected" ] || { echo "consumer: the CMake-built Snow program printed: $lang_out"; exit 1; }
