#!/bin/sh
# Builds libFuzzer targets with clang (outside the Meson build, which uses g++) and fuzzes
# each for a number of seconds.
#
#   tests/fuzz/run.sh [SECONDS=60] [OUT_DIR=build-fuzz] [TARGET...]
#
# Targets (default: stf alone, which is what the Meson test `stf_fuzz_short` runs):
#   stf        the STF decoder (stf_fuzz.cpp)
#   frame      FrameReader/BodyReader and a real node's frame handlers (frame_fuzz.cpp)
#   handshake  a real node's handshake against a hostile peer (handshake_fuzz.cpp)
#   snowc      snowc's lexer, parser, checks and type checker on any text (snowc_fuzz.cpp)
#   dns        DNS discovery's SRV answer reader and source parser on any bytes (dns_fuzz.cpp)
# SECONDS is per target: `run.sh 60 build-fuzz stf frame handshake snowc` takes about
# four minutes plus the first build. frame and handshake link libsnow built by clang with
# the sanitizers and coverage in OUT_DIR/lib (a Meson build; ~3 min the first time,
# incremental afterwards).
#
# The seed corpora (tests/fuzz/corpus/TARGET) are read, never written: new inputs go to
# OUT_DIR/corpus/TARGET, and a crash leaves OUT_DIR/crash-* (replay: OUT_DIR/TARGET_fuzz
# FILE). Each target's output is in OUT_DIR/TARGET.log and a one-line summary (runs,
# seconds, runs per second, corpus size) is printed and appended to OUT_DIR/summary.txt.
# Needs clang++-14 (or CXX_FUZZ) with libclang-rt-14-dev, and Abseil's pkg-config files.
# Exits non-zero when any fuzzer finds a crash, a leak, a sanitizer report or a timeout.
set -eu
secs=${1:-60}
out=${2:-build-fuzz}
[ $# -ge 2 ] && shift 2 || shift $#
targets=${*:-stf}
root=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null 2>&1 || cxx=clang++
mkdir -p "$out"
out=$(cd "$out" && pwd)

absl_modules="absl_base absl_status absl_statusor absl_strings absl_str_format absl_hash absl_raw_hash_set
  absl_flat_hash_map absl_flat_hash_set absl_btree absl_synchronization absl_time"
# UBSan's `function` check cannot build snow's coroutines with clang 14 ("Cannot represent
# a difference across sections"), so it is off everywhere; the other checks stay.
sanitize="-fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined"

# As a Meson test, a machine without a working clang fuzzer toolchain skips (77); a
# toolchain that works but cannot build a target is a failure, never a skip.
probe() {
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
    > "$out/probe.cpp"
  if ! "$cxx" -std=c++20 -fsanitize=fuzzer,address,undefined "$out/probe.cpp" -o "$out/probe" 2>/dev/null; then
    [ -n "${SNOW_FUZZ_SKIP_UNAVAILABLE:-}" ] && { echo "clang cannot build a libFuzzer target here: skipped"; exit 77; }
    echo "$cxx cannot build a libFuzzer target (install clang-14 and libclang-rt-14-dev)"
    exit 1
  fi
}

# newer BIN PATH...: true when BIN is missing or older than any file under PATH...
stale() {
  bin=$1
  shift
  # shellcheck disable=SC2068
  [ ! -x "$bin" ] || [ -n "$(find $@ -newer "$bin" -print -quit)" ]
}

# libsnow with clang, ASan, UBSan and coverage, for the targets that run a real node.
libsnow() {
  lib="$out/lib"
  if [ ! -f "$lib/build.ninja" ]; then
    # -fsized-deallocation: clang 14 does not declare the sized operator delete without it
    # (src/runtime/process.cpp frees a Task frame with its size).
    CXX="$cxx" meson setup "$lib" "$root" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
      -Dtests=false -Dbenchmarks=false -Dexamples=false \
      -Dcpp_args="-fsanitize=fuzzer-no-link -fno-sanitize=function -fno-sanitize-recover=undefined -fsized-deallocation" \
      >"$out/lib-setup.log"
  fi
  ninja -C "$lib" src/libsnow.a >"$out/lib-build.log" || { tail -n 30 "$out/lib-build.log"; exit 1; }
}

build() {
  target=$1
  bin="$out/${target}_fuzz"
  fz="$root/tests/fuzz"
  case $target in
    stf)
      srcs="$fz/stf_fuzz.cpp $root/src/wire/atom.cpp $root/src/wire/codec.cpp $root/src/wire/term.cpp $root/src/wire/utf8.cpp
        $root/src/wire/type_registry.cpp $root/src/wire/localize_encoding.cpp $root/src/runtime/format.cpp"
      deps="$root/src/wire $root/src/runtime/format.cpp $fz/stf_fuzz.cpp $root/include/snow"
      libs=$(pkg-config --libs $absl_modules)
      ;;
    frame | handshake)
      libsnow
      srcs="$fz/${target}_fuzz.cpp"
      deps="$fz/${target}_fuzz.cpp $fz/node_harness.hpp $out/lib/src/libsnow.a"
      bssl="/usr/lib/$("$cxx" -print-multiarch)/android"  # where meson.build finds BoringSSL by default
      libs="$out/lib/src/libsnow.a $(pkg-config --libs $absl_modules libuv) -L$bssl -Wl,-rpath,$bssl -lssl -lcrypto -pthread"
      ;;
    dns)
      srcs="$fz/dns_fuzz.cpp $root/src/discovery/dns_answer.cpp $root/src/discovery/discovery_source.cpp
        $root/src/runtime/strings.cpp"
      deps="$srcs $root/src/discovery"
      libs=$(pkg-config --libs $absl_modules)
      ;;
    snowc)
      # The front end: every pass but the emitter (and its call-graph pass) and the driver.
      srcs="$fz/snowc_fuzz.cpp $root/dsl/lexer.cc $root/dsl/parser.cc $root/dsl/parse_declarations.cc
        $root/dsl/parse_expressions.cc $root/dsl/parse_patterns.cc $root/dsl/checks.cc $root/dsl/check_bodies.cc
        $root/dsl/check_exhaustive.cc $root/dsl/diagnostics.cc $root/dsl/stdlib.cc $root/dsl/types.cc
        $root/dsl/typecheck.cc $root/dsl/type_items.cc $root/dsl/type_expressions.cc $root/dsl/type_calls.cc
        $root/dsl/modules.cc $root/dsl/resolve.cc"
      deps="$srcs $root/dsl"
      libs=""
      ;;
    *)
      echo "unknown fuzz target: $target (stf, frame, handshake, snowc, dns)"
      exit 2
      ;;
  esac
  # shellcheck disable=SC2086
  if stale "$bin" $deps; then
    # One compiler per source, FUZZ_JOBS at a time (2 by default), then one link: snowc's
    # front end is 18 sources, which one compiler after the other took 3 minutes on a
    # loaded 2-core machine (the test snowc_fuzz_short has 180 s in all).
    objdir="$out/obj/$target"
    rm -rf "$objdir"
    mkdir -p "$objdir"
    export FUZZ_CXX="$cxx" FUZZ_OBJDIR="$objdir" FUZZ_FLAGS="-std=c++20 -O1 -g -fsanitize=fuzzer-no-link $sanitize \
      -I$root/include -I$root -I$fz -isystem /usr/include/android $(pkg-config --cflags absl_base)"
    for s in $srcs; do echo "$s"; done |
      xargs -P "${FUZZ_JOBS:-2}" -I{} sh -c '$FUZZ_CXX $FUZZ_FLAGS -c "$1" -o "$FUZZ_OBJDIR/$(basename "$1").o"' sh {}
    [ "$(find "$objdir" -name '*.o' | wc -l)" -eq "$(echo $srcs | wc -w)" ] || { echo "fuzz $target: a source did not compile"; exit 1; }
    # shellcheck disable=SC2086
    "$cxx" -fsanitize=fuzzer $sanitize "$objdir"/*.o $libs -o "$bin.tmp"
    mv "$bin.tmp" "$bin"
  fi
}

probe
for t in $targets; do build "$t"; done
status=0
for t in $targets; do
  mkdir -p "$out/corpus/$t"
  seeds="$root/tests/fuzz/corpus/$t"
  [ -d "$seeds" ] || seeds=""
  start=$(date +%s)
  # shellcheck disable=SC2086
  if (cd "$out" && "./${t}_fuzz" -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 \
        "corpus/$t" $seeds) >"$out/$t.log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    grep -E "ERROR|property violated|SUMMARY|Test unit written|^#0 |^    #[0-4] " "$out/$t.log" | head -n 20
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
  units=$(find "$out/corpus/$t" -type f | wc -l)
  line="fuzz $t: $result, ${runs:-?} runs in $(( $(date +%s) - start )) s (${rate:-?}/s), corpus $units inputs"
  echo "$line"
  echo "$(date -u +%FT%TZ) $line" >>"$out/summary.txt"
done
exit $status
