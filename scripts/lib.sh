# Shared helpers for scripts/demo, scripts/test and scripts/bench. Sourced, not run.
# shellcheck shell=bash

# Installs the Debian packages given as arguments that are not installed yet.
# Idempotent: does nothing (and needs no network) when everything is present.
sluice_apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Packages the build itself needs (C libraries reached through pkg-config).
SLUICE_BUILD_PACKAGES=(pkg-config zlib1g-dev libdeflate-dev libsystemd-dev libzstd-dev)
