#!/bin/sh
# What Conan and vcpkg do with snow, reproduced with Debian's tools alone (neither tool is
# packaged for Debian). Each step is one way a package manager's build or a consumer of
# its package failed; each prints "ok" or "FAIL" and the test fails if any step did.
#   tests/consumer/packaging_test.sh BUILD_DIR SOURCE_ROOT
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
check() { # check WHAT COMMAND...: ok when the command succeeds
  what=$1; shift
  if "$@" >"$tmp/log" 2>&1; then ok "$what"; else fail "$what"; tail -n 20 "$tmp/log"; fi
}
pcdir_system=$(pkg-config --variable=pcfiledir libuv)

# 1. A static libuv from libuv's own CMake (Conan's, vcpkg's) has only libuv-static.pc.
#    With a search path holding nothing else, Meson must find it under that name, and
#    snowc must link what Meson found (not a second pkg-config lookup of its own).
mkdir "$tmp/pc"
cp "$pcdir_system/libuv-static.pc" "$pcdir_system"/absl_*.pc "$tmp/pc/"
if PKG_CONFIG_LIBDIR="$tmp/pc" meson setup "$tmp/b-nouv" "$src" -Dtests=false -Dbenchmarks=false -Dexamples=false \
    >"$tmp/log" 2>&1; then
  fail "without -Dlibuv_pkgconfig, a search path with only libuv-static.pc is refused (no silent fallback)"
else
  ok "without -Dlibuv_pkgconfig, a search path with only libuv-static.pc is refused (no silent fallback)"
fi
check "Meson configures with PKG_CONFIG_LIBDIR holding only libuv-static.pc and absl_*.pc" \
  env PKG_CONFIG_LIBDIR="$tmp/pc" meson setup "$tmp/b" "$src" -Dtests=false -Dbenchmarks=false -Dexamples=false \
  -Dlibuv_pkgconfig=libuv-static
check "snowc's link flags are the ones Meson resolved (the static libuv_a)" \
  sh -c "PKG_CONFIG_LIBDIR='$tmp/pc' ninja -C '$tmp/b' dsl/snowc_dependency_flags.hpp && grep -q 'uv_a' '$tmp/b/dsl/snowc_dependency_flags.hpp' && ! grep -q 'libuv.so' '$tmp/b/dsl/snowc_dependency_flags.hpp'"

# 2. Conan's `shared` option and vcpkg's triplet reach Meson as default_library: it must
#    decide which libsnow is built and installed.
installed_libs() { meson introspect --installed "$tmp/b" | python3 -c 'import json,sys,os; print(" ".join(sorted(os.path.basename(p) for p in json.load(sys.stdin).values() if "libsnow" in p)))'; }
PKG_CONFIG_LIBDIR="$tmp/pc" meson setup --reconfigure "$tmp/b" "$src" -Ddefault_library=static >/dev/null 2>&1
libs=$(installed_libs)
[ "$libs" = "libsnow.a libsnow_lang.a libsnow_testing.a" ] \
  && ok "default_library=static installs the archives alone (libsnow.a, libsnow_lang.a, libsnow_testing.a)" \
  || fail "default_library=static installs the archives alone (libsnow.a, libsnow_lang.a, libsnow_testing.a) (installs: $libs)"
PKG_CONFIG_LIBDIR="$tmp/pc" meson setup --reconfigure "$tmp/b" "$src" -Ddefault_library=shared >/dev/null 2>&1
libs=$(installed_libs)
case "$libs" in
  *.a*|"") fail "default_library=shared installs the shared libraries alone (installs: $libs)" ;;
  *libsnow.so*libsnow_lang.so*libsnow_testing.so*) ok "default_library=shared installs the shared libraries alone" ;;
  *) fail "default_library=shared installs libsnow.so, libsnow_lang.so and libsnow_testing.so (installs: $libs)" ;;
esac

# The package as `meson install` lays it out, under DESTDIR.
DESTDIR="$tmp/root" meson install -C "$build" --quiet --no-rebuild >/dev/null
prefix=$(dirname "$(dirname "$(find "$tmp/root" -path '*/bin/snowc')")")
libdir=$(dirname "$(find "$prefix" -name libsnow.a | head -n 1)")
include="$prefix/include"

# 3. vcpkg moves lib/cmake/snow to share/snow: find_package(snow) must still work there,
#    its testing component too, and must not name the build machine's libuv directory.
mkdir -p "$prefix/share"
cp -r "$libdir/cmake/snow" "$prefix/share/snow"
if grep -q "/usr/lib/x86_64-linux-gnu\"" "$prefix/share/snow/snowConfig.cmake"; then
  fail "snowConfig.cmake names no libuv directory of the build machine"
else
  ok "snowConfig.cmake names no libuv directory of the build machine"
fi
check "find_package(snow) from <prefix>/share/snow (vcpkg's layout) builds and runs the consumer" \
  sh -c "cmake -S '$here' -B '$tmp/cmake-share' -DCMAKE_PREFIX_PATH='$prefix/share' -Dsnow_DIR='$prefix/share/snow' -DCMAKE_BUILD_TYPE=Release && cmake --build '$tmp/cmake-share' && '$tmp/cmake-share/consumer'"
check "find_package(snow COMPONENTS testing) from <prefix>/share/snow builds and runs the snow::testing example" \
  sh -c "cmake -S '$here/testing' -B '$tmp/cmake-share-testing' -DCMAKE_PREFIX_PATH='$prefix/share' -Dsnow_DIR='$prefix/share/snow' -DCMAKE_BUILD_TYPE=Release && cmake --build '$tmp/cmake-share-testing' && '$tmp/cmake-share-testing/testing_partition'"

# 4. A consumer of a static libsnow gets, from Conan, exactly the libraries the recipe
#    declares: link a program that starts a node (TLS, libuv) with just those (those of
#    the core component, self.cpp_info.components["core"]: libsnow's).
declared=$(python3 - "$src/conanfile.py" <<'EOF'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
requires, system_libs = [], []
for node in ast.walk(tree):
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute):
        target = node.targets[0]
        owner = target.value
        if (isinstance(owner, ast.Subscript) and isinstance(owner.value, ast.Attribute)
                and owner.value.attr == "components" and ast.literal_eval(owner.slice) == "core"):
            if target.attr == "requires":
                requires = ast.literal_eval(node.value)
            elif target.attr == "system_libs":
                system_libs = ast.literal_eval(node.value)
print(" ".join(requires), "|", " ".join(system_libs))
EOF
)
flags=""
for req in ${declared%%|*}; do
  case "$req" in
    abseil::abseil) flags="$flags $(pkg-config --libs $(cd "$pcdir_system" && ls absl_*.pc | sed 's/\.pc$//'))" ;;
    libuv::libuv) flags="$flags -luv" ;;
    boringssl::ssl) flags="$flags -L/usr/lib/$(cc -print-multiarch)/android -Wl,-rpath,/usr/lib/$(cc -print-multiarch)/android -lssl" ;;
    boringssl::crypto) flags="$flags -L/usr/lib/$(cc -print-multiarch)/android -lcrypto" ;;
    *) fail "the recipe requires $req, which this test does not know how to provide" ;;
  esac
done
for lib in ${declared##*|}; do flags="$flags -l$lib"; done
# shellcheck disable=SC2086
check "a node-starting consumer links against libsnow.a with only the recipe's declared libraries ($declared)" \
  sh -c "c++ -std=c++20 -I'$include' '$here/node_main.cpp' '$libdir/libsnow.a' $flags -o '$tmp/node_consumer' && '$tmp/node_consumer'"

# 5. snowc finds its headers, libsnow and libsnow_lang relative to itself: in a moved install
#    (<prefix>/bin/snowc) and in vcpkg's tools/snow/, never in the build tree.
mv "$prefix" "$tmp/moved"
mkdir -p "$tmp/moved/tools/snow"
cp "$tmp/moved/bin/snowc" "$tmp/moved/tools/snow/snowc"
for snowc in "$tmp/moved/bin/snowc" "$tmp/moved/tools/snow/snowc"; do
  where=${snowc#"$tmp/moved/"}
  SNOWC_CACHE_DIR="$tmp/cache" "$snowc" config >"$tmp/config" 2>&1
  if grep -q "^headers: $tmp/moved/include" "$tmp/config" && grep -q "^libsnow: $tmp/moved/" "$tmp/config" &&
     grep -q "^libsnow_lang: $tmp/moved/" "$tmp/config"; then
    ok "a moved install's $where uses the moved headers, libsnow and libsnow_lang"
  else
    fail "a moved install's $where uses the moved headers, libsnow and libsnow_lang"; cat "$tmp/config"
  fi
  check "a moved install's $where builds and runs a Snow program" \
    sh -c "SNOWC_CACHE_DIR='$tmp/cache' '$snowc' build '$src/dsl/examples/greet.snow' -o '$tmp/greet' && '$tmp/greet'"
done

echo "packaging: $failures failures"
[ "$failures" -eq 0 ]
