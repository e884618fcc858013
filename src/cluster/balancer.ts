import { findBinary } from './binaries.ts';
import { createHaproxy } from './haproxy.ts';
import { createNginx } from './nginx.ts';
import type { Balancer, BalancerKind, BalancerSite } from './balancer-contract.ts';

const PACKAGES: Readonly<Record<BalancerKind, string>> = { haproxy: 'haproxy', nginx: 'nginx' };

/** The installed balancer binary, or a message saying how to install it. */
export function balancerBinary(kind: BalancerKind): { binary: string } | { missing: string } {
  const binary = findBinary(kind);
  return binary ? { binary } : { missing: `${kind} is not installed (looked on PATH and in /usr/sbin): apt-get install ${PACKAGES[kind]}` };
}

export function createBalancer(kind: BalancerKind, site: BalancerSite): Balancer {
  return kind === 'haproxy' ? createHaproxy(site) : createNginx(site);
}
