#!/usr/bin/env bash
# Install, upgrade or remove Tributary as systemd services on Raspberry Pi OS (64-bit) / Debian 12.
#
#   sudo edge/deploy/install.sh [--gateway-id ID] [--cloud] [--start]   install, or upgrade in place
#   sudo edge/deploy/install.sh --uninstall [--purge]                   remove
#   edge/deploy/install.sh --root DIR [...]                             stage into DIR (an image, a test)
#
# Layout (under --root, default /):
#   /opt/tributary                      the code: sources, dist/ (built here), production node_modules
#   /opt/tributary.previous             the code before the last upgrade (to roll back)
#   /usr/local/bin/tributary            the command line (a link to dist/edge/cli/main.js)
#   /etc/tributary/edge.yaml            gateway config, root:tributary 0640, written once
#   /etc/tributary/secrets/             password, token and key files, root:tributary 0750
#   /var/lib/tributary/{edge,cloud}     LevelDB, created by systemd (StateDirectory=)
#   /usr/local/lib/systemd/system/      tributary-edge.service, tributary-cloud.service
#   /usr/local/lib/sysusers.d/          the tributary system user, in group dialout
#   /etc/systemd/journald.conf.d/60-tributary.conf   journal limits for SD cards, written once
#   /etc/modules-load.d/tributary.conf  USB serial drivers loaded at boot, written once
#
# Running it again upgrades the code and units; config, secrets and data are never overwritten.
# With --root other than /, nothing on this machine is started, enabled or reloaded.

set -euo pipefail
umask 022

usage() {
  cat <<'EOF'
Usage: install.sh [options]

  --root DIR            install under DIR instead of / (or set DESTDIR); nothing is started
  --gateway-id ID       gateway.id written into a new /etc/tributary/edge.yaml (default: the host name)
  --cloud               also enable tributary-cloud.service (it runs once /etc/tributary/cloud.yaml exists)
  --start               start (or restart) the enabled services when done (only with --root /)
  --no-build            copy the sources without npm ci and the build: for staging an image for
                        another architecture; run the build on the target before starting
  --no-journal-limits   leave journald's settings alone
  --uninstall           stop and remove the services and the code; keep config, secrets and data
  --purge               with --uninstall: also remove /etc/tributary, /var/lib/tributary and the
                        journald and modules-load files (the tributary user stays: userdel tributary)
  -h, --help            this text
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}

say() {
  echo "install.sh: $*"
}

ROOT="${DESTDIR:-/}"
GATEWAY_ID=""
CLOUD=0
START=0
BUILD=1
JOURNAL_LIMITS=1
UNINSTALL=0
PURGE=0

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT="$2"; shift ;;
    --root=*) ROOT="${1#--root=}" ;;
    --gateway-id) [ $# -ge 2 ] || die "--gateway-id needs a value"; GATEWAY_ID="$2"; shift ;;
    --gateway-id=*) GATEWAY_ID="${1#--gateway-id=}" ;;
    --cloud) CLOUD=1 ;;
    --start) START=1 ;;
    --no-build) BUILD=0 ;;
    --no-journal-limits) JOURNAL_LIMITS=0 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# R is the prefix for every path: empty for the real root, so paths read as on the target.
[ -n "$ROOT" ] || die "--root needs a directory"
ROOT="$(mkdir -p "$ROOT" && cd "$ROOT" && pwd -P)"
if [ "$ROOT" = / ]; then R=""; LIVE=1; else R="$ROOT"; LIVE=0; fi
[ "$PURGE" -eq 0 ] || [ "$UNINSTALL" -eq 1 ] || die "--purge goes with --uninstall"
[ "$START" -eq 0 ] || [ "$LIVE" -eq 1 ] || die "--start only works on this machine's root (no --root)"
if [ "$LIVE" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo) to install on this machine"; fi

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
DEPLOY="$SRC/edge/deploy"
OPT="$R/opt/tributary"
UNITS="$R/usr/local/lib/systemd/system"
SYSUSERS="$R/usr/local/lib/sysusers.d/tributary.conf"
CONF="$R/etc/tributary"
JOURNALD="$R/etc/systemd/journald.conf.d/60-tributary.conf"
MODULES="$R/etc/modules-load.d/tributary.conf"
SERVICES=(tributary-edge.service tributary-cloud.service)
NODE=/usr/bin/node # what the units run

# The root's own numeric id for a group, from its /etc/group (not this machine's, when staging).
group_id() {
  awk -F: -v g="$1" '$1 == g { print $3 }' "$R/etc/group"
}

# chown by numeric id, where we may: as root. Staging as another user keeps the caller's owner.
own() {
  if [ "$(id -u)" -eq 0 ]; then chown "$@"; fi
}

# Copy a file into place only when nothing is there: never overwrite the admin's version.
install_once() {
  local mode="$1" src="$2" dest="$3"
  if [ -e "$dest" ]; then
    say "kept $dest"
  else
    install -D -m "$mode" "$src" "$dest"
    say "wrote $dest"
  fi
}

node_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

uninstall() {
  if [ "$LIVE" -eq 1 ]; then
    systemctl disable --now "${SERVICES[@]}" 2>/dev/null || true
  fi
  for unit in "${SERVICES[@]}"; do rm -f "$UNITS/$unit"; done
  rm -rf "$OPT" "$OPT.previous" "$OPT.new"
  rm -f "$SYSUSERS"
  if [ -L "$R/usr/local/bin/tributary" ]; then rm -f "$R/usr/local/bin/tributary"; fi
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$CONF" "$R/var/lib/tributary"
    rm -f "$JOURNALD" "$MODULES"
  fi
  if [ "$LIVE" -eq 1 ]; then systemctl daemon-reload; fi
  say "removed the code and the units$([ "$PURGE" -eq 1 ] && echo ", config, secrets and data" || echo "; kept $CONF and $R/var/lib/tributary")"
}

# onnxruntime-node ships its native library for five platforms (about 290 MB); it loads only
# bin/napi-v6/<platform>/<arch>, so keep this machine's (25 MB on linux/arm64) to spare the SD card.
trim_onnxruntime() {
  local bin="$1/node_modules/onnxruntime-node/bin/napi-v6" here dir
  here="$(node -p 'process.platform + "/" + process.arch')"
  [ -d "$bin/$here" ] || return 0
  for dir in "$bin"/*/*/; do
    dir="${dir%/}"
    if [ "${dir#"$bin"/}" != "$here" ]; then rm -rf "$dir"; fi
  done
}

# Stage the code in /opt/tributary.new, build it there, then swap it in, keeping the previous tree.
install_code() {
  local stage="$OPT.new"
  rm -rf "$stage"
  mkdir -p "$stage"
  cp "$SRC/package.json" "$SRC/package-lock.json" "$SRC/tsconfig.json" "$SRC/README.md" "$stage/"
  if [ -f "$SRC/.npmrc" ]; then cp "$SRC/.npmrc" "$stage/"; fi
  for dir in edge cloud devices; do
    if [ -d "$SRC/$dir" ]; then cp -R "$SRC/$dir" "$stage/"; fi
  done
  if [ "$BUILD" -eq 1 ]; then
    command -v npm >/dev/null || die "npm is not installed (Node.js 20 or later, with npm, is needed to build)"
    [ "$(node_major node)" -ge 20 ] || die "node $(node --version 2>/dev/null || echo missing) is too old: Tributary needs Node.js 20 or later"
    say "building in $stage (npm ci, npm run build, npm prune --omit=dev)"
    (
      cd "$stage"
      npm ci --no-audit --no-fund
      npm run build
      npm prune --omit=dev --no-audit --no-fund
    )
    [ -f "$stage/dist/edge/cli/main.js" ] || die "the build did not produce dist/edge/cli/main.js"
    chmod 0755 "$stage/dist/edge/cli/main.js"
    trim_onnxruntime "$stage"
  fi
  if [ -d "$OPT" ]; then
    rm -rf "$OPT.previous"
    mv "$OPT" "$OPT.previous"
  fi
  mv "$stage" "$OPT"
  own -R 0:0 "$OPT"
  mkdir -p "$R/usr/local/bin"
  ln -sfn /opt/tributary/dist/edge/cli/main.js "$R/usr/local/bin/tributary"
  say "code in $OPT$([ "$BUILD" -eq 1 ] || echo " (not built: run npm ci, npm run build and npm prune --omit=dev there on the target)")"
}

install_system_files() {
  install -D -m 0644 "$DEPLOY/tributary-edge.service" "$UNITS/tributary-edge.service"
  install -D -m 0644 "$SRC/cloud/deploy/tributary-cloud.service" "$UNITS/tributary-cloud.service"
  install -D -m 0644 "$DEPLOY/sysusers.conf" "$SYSUSERS"
  # systemd-sysusers reads the root's /etc/passwd and /etc/group and adds to them.
  mkdir -p "$R/etc"
  systemd-sysusers --root "$ROOT" "$SYSUSERS" >/dev/null
  if [ "$JOURNAL_LIMITS" -eq 1 ]; then install_once 0644 "$DEPLOY/journald.conf" "$JOURNALD"; fi
  install_once 0644 "$DEPLOY/modules-load.conf" "$MODULES"
}

# /etc/tributary: readable by the service's group, writable by root only. Secrets likewise.
install_config() {
  local gid
  gid="$(group_id tributary)"
  [ -n "$gid" ] || die "group tributary is missing from $R/etc/group after systemd-sysusers"
  install -d -m 0750 "$CONF" "$CONF/secrets"
  own 0:"$gid" "$CONF" "$CONF/secrets"
  if [ ! -e "$CONF/edge.yaml" ]; then
    local tmp
    tmp="$(mktemp)"
    sed "s/@GATEWAY_ID@/$GATEWAY_ID/" "$DEPLOY/edge.yaml" >"$tmp"
    install -m 0640 "$tmp" "$CONF/edge.yaml"
    rm -f "$tmp"
    own 0:"$gid" "$CONF/edge.yaml"
    say "wrote $CONF/edge.yaml (gateway.id: $GATEWAY_ID)"
  else
    say "kept $CONF/edge.yaml"
  fi
  # A bearer token for /metrics beyond loopback (http.tokenFile), made once.
  if [ ! -e "$CONF/secrets/http-token" ]; then
    (
      umask 077
      od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$CONF/secrets/http-token"
    )
    chmod 0640 "$CONF/secrets/http-token"
    own 0:"$gid" "$CONF/secrets/http-token"
    say "wrote $CONF/secrets/http-token"
  else
    say "kept $CONF/secrets/http-token"
  fi
}

activate() {
  local journald_was_new="$1" modules_were_new="$2"
  systemctl daemon-reload
  if [ "$journald_was_new" -eq 1 ]; then systemctl restart systemd-journald; fi
  if [ "$modules_were_new" -eq 1 ]; then systemctl restart systemd-modules-load || say "could not load the USB serial drivers now; they load at the next boot"; fi
  local enabled=(tributary-edge.service)
  if [ "$CLOUD" -eq 1 ]; then enabled+=(tributary-cloud.service); fi
  systemctl enable "${enabled[@]}"
  if ! grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    say "warning: the kernel's memory controller is off, so MemoryMax= is not enforced; add cgroup_enable=memory to /boot/firmware/cmdline.txt and reboot"
  fi
  if [ "$START" -eq 1 ]; then
    systemctl restart "${enabled[@]}"
    say "started ${enabled[*]}"
  else
    # An upgrade: whatever was running runs the new code now.
    systemctl try-restart "${SERVICES[@]}"
    say "enabled ${enabled[*]}; edit $CONF/edge.yaml, then: sudo systemctl start tributary-edge"
  fi
}

main() {
  if [ "$UNINSTALL" -eq 1 ]; then
    uninstall
    return
  fi
  command -v systemd-sysusers >/dev/null || die "systemd-sysusers is missing (Debian package systemd)"
  if [ ! -e "$CONF/edge.yaml" ]; then
    GATEWAY_ID="${GATEWAY_ID:-$(hostname)}"
    [[ "$GATEWAY_ID" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] || die "gateway id \"$GATEWAY_ID\" must be 1-64 of A-Z a-z 0-9 _ . - (use --gateway-id)"
  fi
  if [ "$LIVE" -eq 1 ]; then
    [ "$(node_major "$NODE")" -ge 20 ] || die "the services run $NODE, which must be Node.js 20 or later (e.g. from NodeSource's deb packages)"
  fi
  local journald_was_new=0 modules_were_new=0
  if [ "$JOURNAL_LIMITS" -eq 1 ] && [ ! -e "$JOURNALD" ]; then journald_was_new=1; fi
  if [ ! -e "$MODULES" ]; then modules_were_new=1; fi
  install_code
  install_system_files
  install_config
  if [ "$LIVE" -eq 1 ]; then
    activate "$journald_was_new" "$modules_were_new"
  else
    say "staged into $ROOT; nothing was started or enabled"
  fi
}

main
