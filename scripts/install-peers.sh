#!/usr/bin/env bash
# Installs the real BGP peers the test suite runs against (BIRD 2, GoBGP,
# FRR) plus tcpdump, iproute2 and kubectl (the `kubectl describe bgppeer`
# tests), from Debian packages, only when a binary is missing. Idempotent. None of the daemons is left running as a service: the
# tests start their own instances on loopback or in network namespaces.
# Exits non-zero when something could not be installed.
set -euo pipefail

# binary path -> Debian package
declare -A want=(
  [/usr/sbin/bird]=bird2
  [/usr/sbin/birdc]=bird2
  [/usr/bin/gobgpd]=gobgpd
  [/usr/bin/gobgp]=gobgpd
  [/usr/lib/frr/bgpd]=frr
  [/usr/lib/frr/zebra]=frr
  [/usr/bin/vtysh]=frr
  [/usr/bin/tcpdump]=tcpdump
  [/usr/sbin/ip]=iproute2
  [/usr/bin/setpriv]=util-linux
  [/usr/bin/kubectl]=kubernetes-client
)
services=(bird gobgpd frr)

missing_packages() {
  local bin pkgs=()
  for bin in "${!want[@]}"; do
    # iproute2 installs ip in /usr/sbin or /bin depending on the release.
    if [[ ! -x "$bin" ]] && ! { [[ "$bin" == /usr/sbin/ip ]] && command -v ip >/dev/null; }; then
      pkgs+=("${want[$bin]}")
    fi
  done
  if ((${#pkgs[@]})); then printf '%s\n' "${pkgs[@]}" | sort -u; fi
}

mapfile -t pkgs < <(missing_packages)
if ((${#pkgs[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-peers: need root to install: ${pkgs[*]}" >&2
    exit 1
  fi
  echo "install-peers: installing ${pkgs[*]}"
  # Debian's policy-rc.d hook: exit 101 = "do not start services" during the
  # install, so no daemon starts behind our back. Only ours is removed after.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  cleanup() { if ((created_policy)); then rm -f "$policy"; fi; }
  trap cleanup EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${pkgs[@]}"
fi

# Make sure none of the daemons runs (or starts at boot) as a service.
for svc in "${services[@]}"; do
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    if systemctl list-unit-files "$svc.service" >/dev/null 2>&1; then
      systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
    fi
  elif [[ -x /etc/init.d/$svc ]]; then
    if "/etc/init.d/$svc" status >/dev/null 2>&1; then
      "/etc/init.d/$svc" stop || true
    fi
  fi
done

mapfile -t still < <(missing_packages)
if ((${#still[@]})); then
  echo "install-peers: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-peers: bird $(/usr/sbin/bird --version 2>&1 | awk '{print $3}'), gobgpd $(/usr/bin/gobgpd --version | awk '{print $3}'), frr $(/usr/lib/frr/bgpd --version | awk 'NR==1{print $3}')"
