#!/bin/sh
# Installs what f2o needs to build and test, when run as root on
# Debian/Ubuntu and something is missing. Prints what it does.
PKGS=$(cat "$(dirname "$0")/packages.txt")
[ "${F2O_WITH_CHROMIUM:-0}" = 1 ] && PKGS="$PKGS chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "f2o: missing packages:$missing" >&2
	echo "f2o: run as root, or: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "f2o: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2 || exit 1
