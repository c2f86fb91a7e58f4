#!/bin/sh
# Fetches Debian's lwip source package into DIR (firmware/build/lwip by default) with
# `apt-get source`, for the board demo's network stack. lwIP's sources are never committed: the
# demo is built from whatever version the machine's Debian release ships (bookworm: 2.1.3).
#
# apt-get source needs deb-src entries. If the machine has none, this derives them from its own
# `deb` entries (/etc/apt/sources.list and /etc/apt/sources.list.d/*.sources, the same archives
# and suites), writes them to /etc/apt/sources.list.d/f4emu-deb-src.sources and runs
# apt-get update. No archive host name is written here: they all come from the machine.
#
# Usage: fetch-lwip.sh [DIR]      prints the unpacked source directory's path on success
set -eu

DIR=${1:-build/lwip}
mkdir -p "$DIR"
existing=$(find "$DIR" -mindepth 1 -maxdepth 1 -type d -name 'lwip-*' | sort | head -n 1)
if [ -n "$existing" ] && [ -f "$existing/src/core/tcp.c" ]; then
  echo "$existing"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

has_deb_src() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
    grep -Eqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

if ! has_deb_src; then
  SRC_FILE=/etc/apt/sources.list.d/f4emu-deb-src.sources
  tmp=$(mktemp)
  # deb822 stanzas: each `Types: deb` stanza becomes a `Types: deb-src` one.
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" }
         /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ {
           gsub(/(^|\n)Types:[^\n]*/, "\nTypes: deb-src"); sub(/^\n/, ""); print }' "$f" >>"$tmp"
  done
  # One-line style: `deb [opts] URI suite components...` becomes the same with deb-src.
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"${tmp}.list"
  done
  if [ -s "$tmp" ]; then $SUDO cp "$tmp" "$SRC_FILE"; fi
  if [ -s "${tmp}.list" ]; then $SUDO cp "${tmp}.list" /etc/apt/sources.list.d/f4emu-deb-src.list; fi
  rm -f "$tmp" "${tmp}.list"
  $SUDO apt-get update -qq
fi

# Downloads the .dsc and tarballs and unpacks them (dpkg-source from dpkg-dev); the files
# are only read by the build, so unpacking as whoever runs make is fine.
(cd "$DIR" && apt-get source -qq lwip >/dev/null)
existing=$(find "$DIR" -mindepth 1 -maxdepth 1 -type d -name 'lwip-*' | sort | head -n 1)
[ -n "$existing" ] && [ -f "$existing/src/core/tcp.c" ] || {
  echo "fetch-lwip.sh: apt-get source lwip did not unpack lwIP into $DIR" >&2
  exit 1
}
echo "$existing"
