#!/bin/sh
# Removes dnsbeat: stops and disables its service, removes the binary and the service files.
# Keeps the config (/etc/dnsbeat) and the state (/var/lib/dnsbeat), which remembers stops and
# confirmed addresses, unless --purge. Run as root. See docs/INSTALL.md.
set -eu

usage() {
	cat <<'EOF'
Usage: scripts/uninstall.sh [options]
  --prefix DIR    the binary is DIR/bin/dnsbeat (default: /usr/local)
  --root DIR      remove from under DIR instead of / (images, tests); calls no service manager
  --purge         also remove the config, the state and the log
  --dry-run       print what would be done, change nothing
  --help          this text
EOF
}

PREFIX=/usr/local
ROOT=
PURGE=no
DRY_RUN=no

usage_error() {
	printf 'uninstall.sh: %s\n' "$*" >&2
	usage >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--prefix | --root)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case $1 in
		--prefix) PREFIX=$2 ;;
		--root) ROOT=$2 ;;
		esac
		shift 2
		;;
	--purge) PURGE=yes && shift ;;
	--dry-run) DRY_RUN=yes && shift ;;
	--help | -h) usage && exit 0 ;;
	*) usage_error "unknown option: $1" ;;
	esac
done

case $PREFIX in
/*) PREFIX=${PREFIX%/} ;;
*) usage_error "--prefix must be an absolute path: $PREFIX" ;;
esac
if [ -n "$ROOT" ]; then
	case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac
	ROOT=${ROOT%/}
fi

[ "$DRY_RUN" = no ] || echo "Dry run: nothing is changed. Would do:"

# Prints a command and runs it unless this is a dry run.
run() {
	printf '  %s\n' "$*"
	[ "$DRY_RUN" = yes ] || "$@"
}

# Removes each path that exists.
remove() {
	for path in "$@"; do
		if [ -e "$path" ] || [ -L "$path" ]; then
			run rm -rf "$path"
		fi
	done
}

UNIT=$ROOT/etc/systemd/system/dnsbeat.service
INITD=$ROOT/etc/init.d/dnsbeat

echo "Removing dnsbeat${ROOT:+ from under $ROOT}"
if [ -z "$ROOT" ]; then
	if [ -f "$UNIT" ] && command -v systemctl >/dev/null 2>&1; then
		run systemctl disable --now dnsbeat.service || true
	fi
	if [ -x "$INITD" ]; then
		run "$INITD" stop || true
		if [ -f /etc/openwrt_release ]; then
			run "$INITD" disable || true
		elif command -v update-rc.d >/dev/null 2>&1; then
			run update-rc.d -f dnsbeat remove || true
		fi
	fi
else
	echo "  (--root: no service manager called)"
fi

remove "$ROOT$PREFIX/bin/dnsbeat" "$UNIT" "$ROOT/etc/cron.d/dnsbeat"
# The network hooks, each only if it is dnsbeat's own.
for hook in /etc/hotplug.d/iface/95-dnsbeat /etc/networkd-dispatcher/routable.d/50-dnsbeat \
	/etc/NetworkManager/dispatcher.d/90-dnsbeat /etc/ppp/ip-up.d/dnsbeat /etc/ppp/ipv6-up.d/dnsbeat; do
	if [ -f "$ROOT$hook" ] && grep -q 'dnsbeat look' "$ROOT$hook"; then
		remove "$ROOT$hook"
	fi
done
# /etc/init.d/dnsbeat is removed only if it is dnsbeat's own script.
if [ -f "$INITD" ] && grep -q 'dnsbeat' "$INITD"; then
	remove "$INITD"
fi
if [ -z "$ROOT" ] && [ -n "$(command -v systemctl 2>/dev/null)" ] && [ -d /run/systemd/system ]; then
	run systemctl daemon-reload
fi

if [ "$PURGE" = yes ]; then
	remove "$ROOT/etc/dnsbeat" "$ROOT/var/lib/dnsbeat" "$ROOT/var/lib/private/dnsbeat" \
		"$ROOT/var/run/dnsbeat.pid" "$ROOT/var/log/dnsbeat.log"
else
	echo "Kept the config ($ROOT/etc/dnsbeat) and the state ($ROOT/var/lib/dnsbeat, or"
	echo "/etc/dnsbeat/state.json on OpenWrt): a reinstalled dnsbeat goes on from them. To remove"
	echo "them too: scripts/uninstall.sh --purge"
fi
