#!/usr/bin/env bash
# Installs edgerun on a Debian or Mendel board (Coral Dev Board, Raspberry Pi OS 64-bit + USB Accelerator, ...):
# Node 20 (NodeSource) if the board has no Node >= 20, libedgetpu1-std (Coral's package repository), ffmpeg and
# alsa-utils, the groups and the `edgerun` user, the daemon in /opt/edgerun, /etc/edgerun/edgerun.yaml (first time
# only), the systemd unit and the udev rules; then enables and (re)starts the service if its config checks out.
# Idempotent: a second run changes nothing and restarts nothing.
#
# Usage (as root, from a checkout where `npm ci && npm run build` has been run; dist/ is plain JS, so building on
# any machine and copying the checkout over works):
#   systemd/install.sh [--models DIR] [--dry-run] [--root DIR]
#     --models DIR  copy the .tflite models and labels in DIR to /var/lib/edgerun/models
#     --dry-run     print what would be done, change nothing
#     --root DIR    write the files under DIR instead of /, and only print the commands that act on the running
#                   system (apt-get, useradd, systemctl, udevadm, npm ci): for packaging and for testing this script
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=/
dry_run=0
models=
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --root) root=${2:?--root needs a directory}; shift ;;
    --models) models=${2:?--models needs a directory}; shift ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
root=${root%/}
# Commands that change the running system run only for a real install into /.
live=0
[ "$dry_run" -eq 0 ] && [ -z "$root" ] && live=1

app=/opt/edgerun
unit=/etc/systemd/system/edgerun.service
rules=/etc/udev/rules.d/60-edgerun-edgetpu.rules
config=/etc/edgerun/edgerun.yaml
state=/var/lib/edgerun
coral_list=/etc/apt/sources.list.d/coral-edgetpu.list
coral_key=/etc/apt/keyrings/coral-edgetpu.gpg
coral_key_url=https://packages.cloud.google.com/apt/doc/apt-key.gpg
node_list=/etc/apt/sources.list.d/nodesource.list
node_key=/etc/apt/keyrings/nodesource.gpg
node_key_url=https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key
changed_app=0 changed_unit=0 changed_rules=0 changed_config=0

say() { printf '%s\n' "$*"; }
run() {
  if [ "$live" -eq 1 ]; then
    say "+ $*"
    "$@"
  else
    say "would run: $*"
  fi
}
fail() { echo "install.sh: $*" >&2; exit 1; }
# Writes a file (or tree) only when its content differs; returns 0 when it did (or would), 1 when unchanged.
# Called as a condition, where set -e is off: every step that can fail says so itself.
put() {
  local from=$1 to=$2 mode=$3
  if [ -d "$from" ]; then
    if [ -d "$root$to" ] && diff -rq "$from" "$root$to" >/dev/null 2>&1; then say "unchanged: $to"; return 1; fi
    if [ "$dry_run" -eq 1 ]; then say "would install: $to/"; return 0; fi
    if ! { rm -rf "$root$to" && mkdir -p "$(dirname "$root$to")" && cp -R "$from" "$root$to"; }; then fail "cannot write $root$to"; fi
    say "installed: $to/"
  else
    if cmp -s "$from" "$root$to"; then say "unchanged: $to"; return 1; fi
    if [ "$dry_run" -eq 1 ]; then say "would install: $to"; return 0; fi
    install -D -m "$mode" "$from" "$root$to" || fail "cannot write $root$to"
    say "installed: $to"
  fi
}
put_text() {
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  local rc=0
  put "$tmp" "$1" "$2" || rc=$?
  rm -f "$tmp"
  return "$rc"
}
ensure_dir() {
  local dir=$1 mode=$2
  if [ -d "$root$dir" ]; then say "exists: $dir"; return 0; fi
  if [ "$dry_run" -eq 1 ]; then say "would create: $dir"; return 0; fi
  install -d -m "$mode" "$root$dir"
  say "created: $dir"
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

[ "$live" -eq 0 ] || [ "$(id -u)" -eq 0 ] || { echo "run as root (or with --dry-run / --root DIR)" >&2; exit 1; }
[ -f "$src/dist/cli/main.js" ] || { echo "$src/dist is missing: run 'npm ci && npm run build' in $src first" >&2; exit 1; }
[ -z "$models" ] || [ -d "$models" ] || { echo "--models $models: no such directory" >&2; exit 1; }
# shellcheck disable=SC1091
os=$( . /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
say "edgerun install from $src on $os ($(dpkg --print-architecture 2>/dev/null || uname -m)) into ${root:-/}$([ "$dry_run" -eq 1 ] && echo ' (dry run)')"

say "== packages"
packages=()
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -ge 20 ]; then
  say "ok: node $(node --version)"
else
  say "node 20 from NodeSource (node major version here: $node_major)"
  put_text "$node_list" 0644 <<EOF || true
deb [signed-by=$node_key] https://deb.nodesource.com/node_20.x nodistro main
EOF
  [ -f "$root$node_key" ] || run sh -c "mkdir -p $(dirname "$node_key") && curl -fsSL $node_key_url | gpg --dearmor -o $node_key"
  packages+=(nodejs)
fi
if installed libedgetpu1-std || installed libedgetpu1-max; then
  say "ok: libedgetpu1 installed"
else
  say "libedgetpu1-std from Coral's package repository"
  put_text "$coral_list" 0644 <<EOF || true
deb [signed-by=$coral_key] https://packages.cloud.google.com/apt coral-edgetpu-stable main
EOF
  [ -f "$root$coral_key" ] || run sh -c "mkdir -p $(dirname "$coral_key") && curl -fsSL $coral_key_url | gpg --dearmor -o $coral_key"
  packages+=(libedgetpu1-std)
fi
if command -v ffmpeg >/dev/null; then say "ok: ffmpeg"; else packages+=(ffmpeg); fi
if command -v arecord >/dev/null; then say "ok: arecord"; else packages+=(alsa-utils); fi
if [ ${#packages[@]} -gt 0 ]; then
  run apt-get update
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
fi

say "== user and groups"
for group in edgerun apex plugdev video audio; do
  if getent group "$group" >/dev/null; then say "ok: group $group"; else run groupadd --system "$group"; fi
done
if id edgerun >/dev/null 2>&1; then
  say "ok: user edgerun"
else
  run useradd --system --gid edgerun --home-dir "$state" --no-create-home --shell /usr/sbin/nologin edgerun
fi

say "== daemon"
for item in package.json package-lock.json .npmrc README.md dist config schemas models; do
  [ -e "$src/$item" ] || continue
  if put "$src/$item" "$app/$item" 0644; then changed_app=1; fi
done
if [ "$changed_app" -eq 1 ] || [ ! -d "$root$app/node_modules" ]; then
  run sh -c "cd $app && npm ci --omit=dev --ignore-scripts --no-audit --no-fund"
else
  say "ok: $app/node_modules"
fi
put_text /usr/local/bin/edgerun 0755 <<EOF || true
#!/bin/sh
exec /usr/bin/node $app/dist/cli/main.js "\$@"
EOF

say "== config and state"
ensure_dir /etc/edgerun 0755
if [ -e "$root$config" ]; then
  say "kept: $config (never overwritten)"
elif [ "$dry_run" -eq 1 ]; then
  say "would install: $config"
  changed_config=1
else
  install -D -m 0640 "$src/systemd/edgerun.yaml" "$root$config"
  say "installed: $config"
  changed_config=1
fi
[ "$changed_config" -eq 0 ] || run chgrp edgerun "$config"
ensure_dir "$state" 0750
ensure_dir "$state/models" 0750
if [ -n "$models" ]; then
  for f in "$models"/*.tflite "$models"/*.txt "$models"/*.yaml; do
    [ -f "$f" ] || continue
    if put "$f" "$state/models/$(basename "$f")" 0640; then changed_config=1; fi
  done
fi
run chown -R edgerun:edgerun "$state"

say "== systemd and udev"
if put "$src/systemd/edgerun.service" "$unit" 0644; then changed_unit=1; fi
if put "$src/systemd/60-edgerun-edgetpu.rules" "$rules" 0644; then changed_rules=1; fi
if [ "$changed_rules" -eq 1 ]; then
  run udevadm control --reload-rules
  run udevadm trigger --action=add --subsystem-match=usb --subsystem-match=apex
fi
[ "$changed_unit" -eq 0 ] || run systemctl daemon-reload
run systemctl enable edgerun.service

say "== start"
if [ "$live" -eq 1 ] && ! runuser -u edgerun -- /usr/bin/node "$app/dist/cli/main.js" config check "$config"; then
  say "NOT started: fix $config (and put its models in $state/models), then: systemctl start edgerun"
  exit 0
fi
[ "$live" -eq 1 ] || say "would run: runuser -u edgerun -- /usr/bin/node $app/dist/cli/main.js config check $config"
if [ $((changed_app + changed_unit + changed_config)) -gt 0 ]; then
  run systemctl restart edgerun.service
else
  run systemctl start edgerun.service
fi
say "done: systemctl status edgerun; journalctl -u edgerun -f; curl -s 127.0.0.1:8080/healthz"
