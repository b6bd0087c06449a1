#!/bin/sh
# Installs the Debian packages snow needs to build and test, or names them.
#
# Run as root, it installs what is missing with apt-get (once, non-interactively). Run as
# another user, it lists what is missing with the command to install it, and fails.
# With everything present it does nothing, quickly: `make run` and `make test` call it
# every time.
set -eu

# Build and test: compilers (clang for the libFuzzer run in the tests), Meson, and the
# chosen libraries; the hardening tests make certificates with the openssl command and
# network namespaces with iproute2's `ip` and serve them DNS with dnsmasq (dnsmasq-base:
# the server alone, no system service); the snow_debug test runs gdb; the Observer's
# browser test (tests/observe/observer_browser_test.py) runs chromium headless.
packages="g++ meson ninja-build pkg-config cmake python3 libabsl-dev libuv1-dev android-libboringssl-dev doctest-dev clang libclang-rt-14-dev openssl iproute2 dnsmasq-base gdb chromium"
# Extra packages for targets beyond run/test, passed as arguments (e.g. `bench-peers`).
for extra in "$@"; do
  case "$extra" in
    bench-peers) packages="$packages libcaf-dev erlang-nox golang-go" ;;
    *) echo "ensure-deps: unknown extra '$extra'" >&2; exit 2 ;;
  esac
done

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
  echo "snow: installing missing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "snow: missing Debian packages:$missing" >&2
  echo "snow: install them with:  sudo apt-get install$missing" >&2
  exit 1
fi
