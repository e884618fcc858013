#!/bin/sh
# keepalived's health check for this balancer (vrrp_script chk_haproxy): succeeds while an
# haproxy process runs and its frontend accepts a connection on the Marg port (default 80).
# Install as /etc/keepalived/check-haproxy.sh, owned by root, mode 755.
pidof haproxy >/dev/null || exit 1
port="${MARG_LB_PORT:-80}"
exec timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
