#!/usr/bin/env bash
# Installs the Debian packages that building, testing and the demo need.
# Idempotent: does nothing (no apt-get update) when everything is present.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  build-essential cmake pkg-config
  libprotobuf-dev protobuf-compiler libsnappy-dev libcpp-httplib-dev libabsl-dev
  libyaml-cpp-dev prometheus-cpp-dev nlohmann-json3-dev libglpk-dev
  libssl-dev libcrypt-dev openssl zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  prometheus prometheus-alertmanager victoria-metrics chromium
  python3 python3-yaml python3-snappy python3-protobuf python3-statsmodels
  curl ca-certificates
)
# Daemons that Debian's packages start on install; tests and the demo run
# their own instances on free ports, so none may be left running.
SERVICES=(prometheus prometheus-alertmanager prometheus-node-exporter victoria-metrics)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  fi
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ] && [ ${#SUDO[@]} -eq 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: not root and no sudo; install them and run again" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

stop_service() {
  local svc=$1
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    if systemctl list-unit-files "$svc.service" >/dev/null 2>&1; then
      if systemctl is-active --quiet "$svc"; then
        echo "install-deps: stopping service $svc"
        "${SUDO[@]}" systemctl stop "$svc" || true
      fi
      if systemctl is-enabled --quiet "$svc" 2>/dev/null; then
        "${SUDO[@]}" systemctl disable "$svc" >/dev/null 2>&1 || true
      fi
    fi
  elif [ -x "/etc/init.d/$svc" ]; then
    if "${SUDO[@]}" "/etc/init.d/$svc" status >/dev/null 2>&1; then
      echo "install-deps: stopping service $svc"
      "${SUDO[@]}" "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
      "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
}
for svc in "${SERVICES[@]}"; do
  stop_service "$svc"
done
echo "install-deps: done"
