#!/bin/sh
# Builds the libusb-1.0 stand-in (our own code) into build/libusb-standin/libusb-1.0.so.0.
# -z nodelete: pcscd dlclose()s a driver whose open failed; the receiver thread's code must stay mapped.
set -eu
here=$(dirname "$0")
out="${1:-$here/../../../build/libusb-standin}"
mkdir -p "$out"
gcc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -pthread -shared \
  -Wl,-soname,libusb-1.0.so.0 -Wl,-z,nodelete -Wl,-z,defs \
  -o "$out/libusb-1.0.so.0.tmp" "$here/usbip-link.c" "$here/libusb-api.c"
mv "$out/libusb-1.0.so.0.tmp" "$out/libusb-1.0.so.0"
