#!/bin/sh
# Builds the STF decoder's libFuzzer target with clang (outside the Meson build, which
# uses g++) and fuzzes it for a number of seconds.
#
#   tests/fuzz/run.sh [SECONDS=60] [OUT_DIR=build-fuzz]
#
# The seed corpus (tests/fuzz/corpus) is read, never written: new inputs go to
# OUT_DIR/corpus, and a crash leaves OUT_DIR/crash-* (replay: OUT_DIR/stf_fuzz FILE).
# Needs clang++-14 (or CXX_FUZZ) with libclang-rt-14-dev, and Abseil's pkg-config files.
# Exits non-zero when the fuzzer finds a crash, a leak, a sanitizer report or a timeout.
set -eu
secs=${1:-60}
out=${2:-build-fuzz}
root=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${CXX_FUZZ:-clang++-14}
command -v "$cxx" >/dev/null 2>&1 || cxx=clang++
mkdir -p "$out/corpus"
bin="$out/stf_fuzz"
srcs="$root/tests/fuzz/stf_fuzz.cpp $root/src/wire/codec.cpp $root/src/wire/term.cpp $root/src/wire/utf8.cpp $root/src/wire/type_registry.cpp $root/src/runtime/format.cpp"
# Rebuild when a source or header is newer than the binary.
deps="$root/src/wire $root/src/runtime/format.cpp $root/tests/fuzz/stf_fuzz.cpp $root/include/snow/detail/wire_codec.hpp
  $root/include/snow/detail/wire_macros.hpp $root/include/snow/detail/message_node.hpp $root/include/snow/wire.hpp
  $root/include/snow/term.hpp $root/include/snow/pid.hpp $root/include/snow/status.hpp $root/include/snow/log.hpp
  $root/include/snow/exit_reason.hpp"
# shellcheck disable=SC2086
if [ ! -x "$bin" ] || [ -n "$(find $deps -newer "$bin" -print -quit)" ]; then
  absl=$(pkg-config --cflags --libs absl_status absl_statusor absl_strings absl_str_format absl_hash \
         absl_raw_hash_set absl_flat_hash_map absl_synchronization absl_time)
  # As a Meson test, a machine without a working clang fuzzer toolchain skips (77); a
  # toolchain that works but cannot build the target is a failure, never a skip.
  probe="$out/probe.cpp"
  printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' > "$probe"
  if ! "$cxx" -std=c++20 -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe" 2>/dev/null; then
    [ -n "${SNOW_FUZZ_SKIP_UNAVAILABLE:-}" ] && { echo "clang cannot build a libFuzzer target here: skipped"; exit 77; }
    echo "$cxx cannot build a libFuzzer target (install clang-14 and libclang-rt-14-dev)"
    exit 1
  fi
  # shellcheck disable=SC2086
  "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      -I"$root/include" -I"$root" $srcs $absl -o "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi
cd "$out"
exec ./stf_fuzz -max_total_time="$secs" -max_len=4096 -timeout=10 -print_final_stats=1 corpus "$root/tests/fuzz/corpus"
