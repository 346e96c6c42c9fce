#!/bin/sh
# Installs dnsbeat: the binary, a config template (only if there is no config yet; never
# overwritten) and the service for the init system found (systemd, OpenWrt procd, SysV/BusyBox
# init) or a cron job. Run as root. See docs/INSTALL.md.
set -eu

usage() {
	cat <<'EOF'
Usage: scripts/install.sh [options]
  --binary PATH   the dnsbeat binary to install (default: ./dist/dnsbeat)
  --prefix DIR    install the binary as DIR/bin/dnsbeat (default: /usr/local)
  --init NAME     systemd, procd, sysv, cron or none (default: detected)
  --root DIR      install under DIR instead of / (images, tests); calls no service manager
  --dry-run       print what would be done, change nothing
  --help          this text
EOF
}

BINARY=./dist/dnsbeat
PREFIX=/usr/local
INIT=auto
ROOT=
DRY_RUN=no

fail() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

usage_error() {
	printf 'install.sh: %s\n' "$*" >&2
	usage >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--binary | --prefix | --init | --root)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case $1 in
		--binary) BINARY=$2 ;;
		--prefix) PREFIX=$2 ;;
		--init) INIT=$2 ;;
		--root) ROOT=$2 ;;
		esac
		shift 2
		;;
	--dry-run) DRY_RUN=yes && shift ;;
	--help | -h) usage && exit 0 ;;
	*) usage_error "unknown option: $1" ;;
	esac
done

case $PREFIX in
/*) ;;
*) usage_error "--prefix must be an absolute path: $PREFIX" ;;
esac
case $PREFIX in
*[!A-Za-z0-9._/-]*) usage_error "--prefix may hold only letters, digits and . _ / -: $PREFIX" ;;
esac
PREFIX=${PREFIX%/}
if [ -n "$ROOT" ]; then
	case $ROOT in /*) ;; *) ROOT=$(pwd)/$ROOT ;; esac
	ROOT=${ROOT%/}
fi

HERE=$(cd "$(dirname "$0")" && pwd)
CONTRIB=$(cd "$HERE/.." && pwd)/contrib
BIN=$PREFIX/bin/dnsbeat

# The init system of the machine (or of the tree under --root).
detect_init() {
	if [ -f "$ROOT/etc/openwrt_release" ]; then
		echo procd
	elif [ -d "$ROOT/run/systemd/system" ]; then
		echo systemd
	elif [ -n "$ROOT" ] && { [ -x "$ROOT/lib/systemd/systemd" ] || [ -x "$ROOT/usr/lib/systemd/systemd" ]; }; then
		echo systemd
	elif [ -d "$ROOT/etc/init.d" ]; then
		echo sysv
	else
		echo none
	fi
}

[ "$INIT" = auto ] && INIT=$(detect_init)
case $INIT in
systemd | procd | sysv | cron | none) ;;
*) usage_error "--init must be systemd, procd, sysv, cron or none: $INIT" ;;
esac

[ -f "$BINARY" ] || fail "no binary at $BINARY (build it with: deno task compile), or give --binary PATH"
[ -x "$BINARY" ] || fail "$BINARY is not executable"

if [ "$DRY_RUN" = yes ]; then
	echo "Dry run: nothing is changed. Would do:"
fi

# Runs a command unless this is a dry run.
act() {
	[ "$DRY_RUN" = yes ] || "$@"
}

# Prints a command and runs it unless this is a dry run.
run() {
	printf '  %s\n' "$*"
	act "$@"
}

# put SRC MODE DEST [LABEL]: installs SRC as DEST with MODE, replacing DEST atomically (a running
# binary stays intact); LABEL (default: SRC) names the source in the message.
put() {
	printf '  %s (mode %s) <- %s\n' "$3" "$2" "${4:-$1}"
	act mkdir -p "$(dirname "$3")"
	act cp "$1" "$3.new"
	act chmod "$2" "$3.new"
	act mv -f "$3.new" "$3"
}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The service file for INIT, with the binary's path set to BIN.
service_source() {
	case $INIT in
	systemd) echo "$CONTRIB/systemd/dnsbeat.service" ;;
	procd) echo "$CONTRIB/openwrt/dnsbeat" ;;
	sysv) echo "$CONTRIB/sysv/dnsbeat" ;;
	cron) echo "$CONTRIB/cron/dnsbeat" ;;
	esac
}

if [ "$INIT" = procd ]; then
	STATE=/etc/dnsbeat/state.json
else
	STATE=/var/lib/dnsbeat/state.json
fi

write_template() {
	cat <<EOF
{
  "state": "$STATE",
  "ipSources": ["https://api.ipify.org", "http://ip1.dynupdate.no-ip.com/"],
  "startup": { "delay": "0s", "waitForClock": true, "waitForNetwork": true, "maxWait": "5m" },
  "providers": [
    {
      "type": "noip",
      "name": "home",
      "username": "me@example.com",
      "password": "CHANGE-ME",
      "hostnames": ["myhome.ddns.net"],
      "interval": "5m"
    },
    {
      "type": "dynamip",
      "name": "site",
      "siteId": "CHANGE-ME",
      "password": "CHANGE-ME",
      "ip": "auto"
    }
  ]
}
EOF
}

echo "Installing dnsbeat (init: $INIT)${ROOT:+ under $ROOT}"
umask 022

put "$BINARY" 0755 "$ROOT$BIN"

CONFIG=$ROOT/etc/dnsbeat/config.json
if [ -e "$CONFIG" ]; then
	NEW_CONFIG=no
	echo "  kept $CONFIG (an existing config is never overwritten)"
else
	NEW_CONFIG=yes
	(umask 077 && write_template >"$TMP/config.json")
	act mkdir -p "$ROOT/etc/dnsbeat"
	act chmod 0700 "$ROOT/etc/dnsbeat"
	put "$TMP/config.json" 0600 "$CONFIG" "config template"
fi

case $INIT in
systemd) SERVICE=$ROOT/etc/systemd/system/dnsbeat.service MODE=0644 ;;
procd | sysv) SERVICE=$ROOT/etc/init.d/dnsbeat MODE=0755 ;;
cron) SERVICE=$ROOT/etc/cron.d/dnsbeat MODE=0644 ;;
none) SERVICE='' MODE='' ;;
esac
if [ -n "$SERVICE" ]; then
	sed "s|/usr/local/bin/dnsbeat|$BIN|g" "$(service_source)" >"$TMP/service"
	put "$TMP/service" "$MODE" "$SERVICE" "$(service_source)"
fi
case $INIT in
sysv | cron) run mkdir -p "$ROOT/var/lib/dnsbeat" && run chmod 0700 "$ROOT/var/lib/dnsbeat" ;;
esac

# hook NAME DEST: a network hook (`dnsbeat look` on a new address), installed only where its
# network manager keeps its scripts (DEST's directory exists), with the binary's path set to BIN.
hook() {
	[ -d "$(dirname "$ROOT$2")" ] || return 0
	sed "s|/usr/local/bin/dnsbeat|$BIN|g" "$CONTRIB/hooks/$1" >"$TMP/$1"
	put "$TMP/$1" 0755 "$ROOT$2" "$CONTRIB/hooks/$1"
}
hook openwrt-hotplug /etc/hotplug.d/iface/95-dnsbeat
hook networkd-dispatcher /etc/networkd-dispatcher/routable.d/50-dnsbeat
hook networkmanager-dispatcher /etc/NetworkManager/dispatcher.d/90-dnsbeat
hook ppp-ip-up /etc/ppp/ip-up.d/dnsbeat
hook ppp-ip-up /etc/ppp/ipv6-up.d/dnsbeat

# Upgrades restart a running dnsbeat; a first install waits for the config to be edited.
if [ -n "$ROOT" ]; then
	echo "  (--root: no service manager called)"
elif [ "$INIT" = systemd ]; then
	run systemctl daemon-reload
	[ "$NEW_CONFIG" = yes ] || run systemctl try-restart dnsbeat.service
elif [ "$NEW_CONFIG" = no ] && { [ "$INIT" = procd ] || [ "$INIT" = sysv ]; }; then
	if [ "$DRY_RUN" = yes ]; then
		echo "  /etc/init.d/dnsbeat restart (if it is running)"
	elif /etc/init.d/dnsbeat status >/dev/null 2>&1; then
		run /etc/init.d/dnsbeat restart
	fi
fi

echo
echo "Next:"
if [ "$NEW_CONFIG" = yes ]; then
	echo "  1. Put your accounts in /etc/dnsbeat/config.json (remove the provider you do not use)."
	echo "  2. Check it: $BIN check --config /etc/dnsbeat/config.json"
fi
case $INIT in
systemd) echo "  Start: systemctl enable --now dnsbeat; logs: journalctl -u dnsbeat" ;;
procd) echo "  Start: /etc/init.d/dnsbeat enable && /etc/init.d/dnsbeat start; logs: logread -e dnsbeat" ;;
sysv) echo "  Start: /etc/init.d/dnsbeat start (at boot: update-rc.d dnsbeat defaults, or your init's way)" ;;
cron) echo "  cron runs '$BIN once' every 5 minutes (/etc/cron.d/dnsbeat)" ;;
none) echo "  No init system found: run '$BIN run' from your boot scripts, or install with --init cron" ;;
esac
