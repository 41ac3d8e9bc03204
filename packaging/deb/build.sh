#!/usr/bin/env bash
# Builds amosync_<version>_amd64.deb from a release build with the Swift runtime linked in
# statically, so the package needs only what Debian 12 / Ubuntu 22.04+ ship.
#   packaging/deb/build.sh              # → .build/deb/amosync_<version>_amd64.deb
#   OUT_DIR=/tmp packaging/deb/build.sh
# The version comes from Sources/AmoSyncCore/Config/AmoSync.swift (the one place it is written);
# the commit from git (with "-modified" when the tree has uncommitted changes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/packaging/deb"
cd "$root"

version=$(sed -n 's/.*static let version = "\([^"]*\)".*/\1/p' Sources/AmoSyncCore/Config/AmoSync.swift)
[ -n "$version" ] || { echo "build.sh: no version in Sources/AmoSyncCore/Config/AmoSync.swift"; exit 1; }
changelog_version=$(sed -n '1s/^amosync (\([^)]*\)).*/\1/p' "$here/changelog")
if [ "$changelog_version" != "$version" ]; then
  echo "build.sh: packaging/deb/changelog starts with $changelog_version, the source says $version: add a changelog entry"
  exit 1
fi
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || true)
if [ -n "$commit" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-modified"; fi

build_path=${BUILD_PATH:-$root/.build-release}
out=${OUT_DIR:-$root/.build/deb}
echo "building amosync $version (commit ${commit:-unknown}) in $build_path"
swift build -c release --static-swift-stdlib --product amosync --build-path "$build_path" \
  -Xcc "-DAMOSYNC_COMMIT=\"$commit\"" -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
binary="$build_path/release/amosync"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/amosync"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/amosync" "$pkg/usr/share/amosync" \
  "$pkg/usr/share/doc/amosync/examples/modx"
install -m 0755 "$binary" "$pkg/usr/bin/amosync"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$pkg/usr/bin/amosync"
for unit in amosync.service amosync@.service amosync.socket; do
  sed 's#/usr/local/bin/amosync#/usr/bin/amosync#' "systemd/$unit" >"$pkg/lib/systemd/system/$unit"
  chmod 0644 "$pkg/lib/systemd/system/$unit"
done
install -m 0644 config.example.json "$pkg/etc/amosync/config.json"  # postinst: 0640 root:amosync
install -m 0644 config.example.json "$pkg/usr/share/amosync/config.example.json"
# Prometheus alert rules and the Grafana dashboard (README, "Alerts and a dashboard").
install -D -m 0644 monitoring/prometheus/amosync.rules.yml "$pkg/usr/share/amosync/prometheus/amosync.rules.yml"
install -D -m 0644 monitoring/grafana/amosync-dashboard.json "$pkg/usr/share/amosync/grafana/amosync-dashboard.json"
install -m 0644 README.md "$pkg/usr/share/doc/amosync/README.md"
install -m 0644 "$here/copyright" "$pkg/usr/share/doc/amosync/copyright"
gzip -9n <"$here/changelog" >"$pkg/usr/share/doc/amosync/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/amosync/changelog.gz"
cp -r docs "$pkg/usr/share/doc/amosync/docs"
install -m 0644 examples/modx/*.php examples/modx/README.md "$pkg/usr/share/doc/amosync/examples/modx/"
# The manual page: every command's --help, as the binary prints it.
install -d "$pkg/usr/share/man/man1"
escape() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"; }
{
  echo ".TH AMOSYNC 1 \"$(date -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%d)\" \"amosync $version\" \"User Commands\""
  echo ".SH NAME"
  echo "amosync \\- shop orders and website forms into amoCRM (Kommo), durably and within the API's rate limit"
  echo ".SH SYNOPSIS"
  echo ".B amosync"
  echo "\\fICOMMAND\\fR [\\fIOPTIONS\\fR]"
  echo ".SH DESCRIPTION"
  echo ".nf"
  "$binary" --help | escape
  echo ".fi"
  for command in init check serve jobs stats auth sandbox fake-amocrm; do
    echo ".SH \"AMOSYNC $(echo "$command" | tr a-z A-Z)\""
    echo ".nf"
    "$binary" help "$command" | escape
    echo ".fi"
  done
  echo ".SH FILES"
  echo "/etc/amosync/config.json, /etc/amosync/amosync.env, /var/lib/amosync/queue.sqlite3"
  echo ".SH SEE ALSO"
  echo "/usr/share/doc/amosync/README.md, systemctl(1)"
} | gzip -9n >"$pkg/usr/share/man/man1/amosync.1.gz"
chmod 0644 "$pkg/usr/share/man/man1/amosync.1.gz"
find "$pkg/usr/share/doc" -type d -exec chmod 0755 {} + && find "$pkg/usr/share/doc" -type f -exec chmod 0644 {} +
install -m 0644 "$here/conffiles" "$pkg/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$pkg/DEBIAN/$script"; done

# Dependencies: the shared libraries the binary links, by the Debian package that ships each.
libs=$(objdump -p "$pkg/usr/bin/amosync" | awk '/NEEDED/ { print $2 }' | sort -u)
glibc=$(objdump -T "$pkg/usr/bin/amosync" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
depends="adduser"
for lib in $libs; do
  case "$lib" in
    libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1 | ld-linux-x86-64.so.2) dep="libc6 (>= $glibc)" ;;
    libcurl.so.4) dep="libcurl4 | libcurl4t64" ;;
    libsqlite3.so.0) dep="libsqlite3-0" ;;
    libpq.so.5) dep="libpq5" ;;
    libcrypto.so.3) dep="libssl3 | libssl3t64" ;;
    libstdc++.so.6) dep="libstdc++6 (>= 12)" ;;
    libgcc_s.so.1) dep="libgcc-s1" ;;
    libz.so.1) dep="zlib1g" ;;
    libxml2.so.2) dep="libxml2" ;;
    *) echo "build.sh: $lib is linked but has no Debian package listed here: add it"; exit 1 ;;
  esac
  case ", $depends, " in *", $dep, "*) ;; *) depends="$depends, $dep" ;; esac
done
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort | xargs md5sum) >"$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums"
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" "$here/control.in" >"$pkg/DEBIAN/control"

mkdir -p "$out"
deb="$out/amosync_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
echo "  linked: $(echo $libs | tr '\n' ' ')"
echo "  Depends: $depends"
echo "  size: $(du -h "$deb" | cut -f1), installed $size KiB"
