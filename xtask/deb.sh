#!/usr/bin/env bash
# Packs keyplace-host as a Debian package with dpkg-deb (Debian's own tool, in dpkg; dpkg-shlibdeps comes with
# build-essential): /usr/bin/keyplace-host, the host manifests every user's Chromium, Google Chrome, Microsoft
# Edge and Firefox read (written by the host itself: `install --system` under a staging root), and
# /etc/keyplace/allowed-extensions.json, the ids the host serves for every user.
#
# Usage: xtask/deb.sh [--binary PATH] [--out DIR] [--compress xz|zstd]
#   --binary  the host to pack (default: $CARGO_TARGET_DIR/release/keyplace-host, which `xtask.sh deb` builds;
#             tests/packaging/deb.test.mjs packs the debug one, as a release build takes minutes)
#   --out     where the .deb goes (default: $CARGO_TARGET_DIR/deb); its path is the last line printed.
#   --compress  xz (default, as Debian's archive) or zstd (a twentieth of the time; the test packs twice with it)
# Reproducible: the same binary gives the same bytes. Every time stamp is SOURCE_DATE_EPOCH (default: the last
# commit's time), owners root:root, modes fixed whatever the umask, entries sorted (dpkg-deb sorts them).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
binary=$TARGET/release/keyplace-host
out=$TARGET/deb
compress=xz
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --compress) compress=$2; shift 2 ;;
    *) sed -n '2,14p' "$0" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "deb.sh: no host program at $binary (build it first: xtask/xtask.sh deb does)" >&2; exit 1; }

SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ROOT/Cargo.toml" | head -n 1)
arch=$(dpkg --print-architecture)
name=keyplace-host_${version}_${arch}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/$name
umask 022

# Debian ships binaries without debug information (it would go into a -dbgsym package); strip is deterministic.
mkdir -p "$pkg/usr/bin"
strip --strip-all --remove-section=.comment -o "$pkg/usr/bin/keyplace-host" "$binary"

# The manifests and the allowed list, by the same code that writes them for a person: one source for their JSON.
# HOME and KEYPLACE_DATA_DIR point into the stage, so nothing of the person running this is read or written.
KEYPLACE_SYSTEM_ROOT=$pkg HOME=$stage/home KEYPLACE_DATA_DIR=$stage/data XDG_CONFIG_HOME=$stage/home/.config \
  "$pkg/usr/bin/keyplace-host" install --system --host-path /usr/bin/keyplace-host >"$stage/install.log" ||
  { cat "$stage/install.log" >&2; exit 1; }

doc=$pkg/usr/share/doc/keyplace-host
mkdir -p "$doc"
cat >"$doc/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Keyplace
Source: https://keyplace.dev

Files: *
Copyright: The Keyplace developers
License: MIT or Apache-2.0
 You may use this software under the terms of either license, at your option.
 The Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.
EOF
changelog_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'keyplace-host (%s) unstable; urgency=medium\n\n  * Built from the Keyplace repository.\n\n -- Keyplace <keyplace@keyplace.dev>  %s\n' \
  "$version" "$changelog_date" | gzip -9n >"$doc/changelog.Debian.gz"

# Depends from the libraries the binary links (libc, libgcc, the TSS2 libraries), as Debian's tools compute them.
mkdir -p "$stage/debian"
printf 'Source: keyplace\n\nPackage: keyplace-host\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e"$name/usr/bin/keyplace-host" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# The TSS2 loader opens the TPM's device library only at run time, so no tool sees it: recommended, by the name
# this release of Debian gives it (libtss2-tcti-device0, or ...0t64 since trixie).
tcti=$(dpkg -S '*/libtss2-tcti-device.so.0' 2>/dev/null | sed -n '1s/:.*//p')
tcti=${tcti:-libtss2-tcti-device0}

# Fixed modes, whatever the umask or the source's; then sizes and sums of what is there.
find "$pkg" -type d -exec chmod 0755 {} +
find "$pkg" -type f -exec chmod 0644 {} +
chmod 0755 "$pkg/usr/bin/keyplace-host"
# Installed-Size in KiB as dpkg-gencontrol counts it: each file rounded up, plus one per folder.
installed_size=$(find "$pkg" \( -type f -printf '%s\n' \) -o \( -type d -printf '1024\n' \) |
  awk '{ total += int(($1 + 1023) / 1024) } END { print total }')
mkdir -p "$pkg/DEBIAN"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' md5sum) >"$pkg/DEBIAN/md5sums"
# Everything under /etc is the administrator's to edit (another extension id, say): dpkg keeps their changes.
(cd "$pkg" && find etc -type f -printf '/%p\n' | LC_ALL=C sort) >"$pkg/DEBIAN/conffiles"
cat >"$pkg/DEBIAN/control" <<EOF
Package: keyplace-host
Version: $version
Architecture: $arch
Maintainer: Keyplace <keyplace@keyplace.dev>
Installed-Size: $installed_size
Depends: $depends
Recommends: $tcti
Suggests: gnome-keyring
Section: utils
Priority: optional
Homepage: https://keyplace.dev
Description: Keyplace passkeys: native messaging host
 Keyplace is a browser extension that lets you choose where each passkey
 lives: this computer's TPM, a local encrypted vault, or your browser. This
 package holds its native messaging host, keyplace-host, which keeps the
 private keys, registered for Chromium, Google Chrome, Microsoft Edge and
 Firefox for every user of this computer.
 .
 Run "keyplace-host doctor" to check the setup.
EOF
chmod 0644 "$pkg/DEBIAN/"*
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
dpkg-deb --root-owner-group "-Z$compress" --build "$pkg" "$out/$name.deb" >/dev/null
echo "$out/$name.deb"
