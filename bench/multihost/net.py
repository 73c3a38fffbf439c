"""The test's own network: a bridge in the root namespace and one network namespace per host, joined by veth pairs.

Every address comes from 198.18.0.0/15, the range RFC 2544 reserves for network benchmarks, and no namespace gets a
default route: a packet from a host can only reach the bridge's subnet (the other hosts and the root namespace's
servers on the bridge address), never any other address. Every name starts with ``PREFIX``, so a previous run that
was killed before its cleanup is found by name and removed, and nothing else on the machine is ever touched.
"""

import ipaddress
import os
import signal
import subprocess
from dataclasses import dataclass

PREFIX = "ustmh"
BENCHMARK_RANGE = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544: benchmarking only, never routed
SUBNET = ipaddress.ip_network("198.18.0.0/24")
BRIDGE = f"{PREFIX}0"
IFNAME_MAX = 15  # Linux: IFNAMSIZ - 1


@dataclass(frozen=True)
class Host:
    """One simulated host: its namespace, the two ends of its veth pair and its address on the bridge's subnet."""

    name: str  # "a", "b"
    netns: str
    veth_root: str  # the end in the root namespace, enslaved to the bridge
    veth_host: str  # the end inside the host's namespace
    address: str


def host_address(index: int, subnet: ipaddress.IPv4Network = SUBNET) -> str:
    """The address of host ``index`` (0 = the bridge itself, 1 = the first host…), refused outside the reserved range."""
    if not subnet.subnet_of(BENCHMARK_RANGE):
        raise ValueError(f"{subnet} is outside {BENCHMARK_RANGE}")
    if index < 0 or index + 2 >= subnet.num_addresses:  # no network, no broadcast address
        raise ValueError(f"no host {index} in {subnet}")
    return str(subnet.network_address + 1 + index)


def bridge_address() -> str:
    return host_address(0)


def plan(names: tuple[str, ...] = ("a", "b")) -> list[Host]:
    """The hosts of one run, with their namespace, interface names and addresses."""
    hosts = []
    for index, name in enumerate(names, start=1):
        host = Host(name=name, netns=f"{PREFIX}-{name}", veth_root=f"{PREFIX}-{name}0", veth_host=f"{PREFIX}-{name}1",
                    address=host_address(index))
        for ifname in (host.veth_root, host.veth_host):
            if len(ifname) > IFNAME_MAX:
                raise ValueError(f"interface name {ifname!r} is longer than {IFNAME_MAX} characters")
        hosts.append(host)
    return hosts


def ours(names: list[str]) -> list[str]:
    """The names (namespaces or links) a run of this test made: ``PREFIX`` followed by a digit or a dash."""
    return [name for name in names if name.startswith(PREFIX) and name[len(PREFIX):][:1] in set("0123456789-")]


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=check)


def _netns_names() -> list[str]:
    out = _ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _link_names() -> list[str]:
    out = _ip("-o", "link", "show", check=False).stdout
    names = []
    for line in out.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            names.append(parts[1].strip().split("@", 1)[0])
    return names


def netns_pids(netns: str) -> list[int]:
    out = _ip("netns", "pids", netns, check=False).stdout
    return [int(pid) for pid in out.split() if pid.isdigit()]


def kill_netns_processes(netns: str) -> None:
    """Every process still running inside one of our namespaces (each started by a run of this test), by its id."""
    for pid in netns_pids(netns):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def remove_ours() -> list[str]:
    """Remove every namespace and link of ours (this run's or a killed earlier run's); returns what was removed."""
    removed = []
    for netns in ours(_netns_names()):
        kill_netns_processes(netns)
        if _ip("netns", "delete", netns, check=False).returncode == 0:  # its veth ends (and pairs) go with it
            removed.append(netns)
    for link in ours(_link_names()):
        if _ip("link", "delete", link, check=False).returncode == 0:
            removed.append(link)
    return removed


def check_permitted() -> None:
    """A clear refusal where namespaces cannot be made (not root, no CAP_SYS_ADMIN, a container without them)."""
    probe = f"{PREFIX}-probe"
    result = _ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        raise PermissionError(
            f"`ip netns add` is not permitted here ({result.stderr.strip()}): the multi-host test needs root with "
            "CAP_SYS_ADMIN and CAP_NET_ADMIN (CI runs it as root)."
        )
    _ip("netns", "delete", probe, check=False)


def build(hosts: list[Host]) -> None:
    """The bridge (with the root namespace's address on it) and each host's namespace, veth pair and address."""
    prefix_len = SUBNET.prefixlen
    _ip("link", "add", BRIDGE, "type", "bridge")
    _ip("addr", "add", f"{bridge_address()}/{prefix_len}", "dev", BRIDGE)
    _ip("link", "set", BRIDGE, "up")
    for host in hosts:
        _ip("netns", "add", host.netns)
        _ip("-n", host.netns, "link", "set", "lo", "up")
        _ip("link", "add", host.veth_root, "type", "veth", "peer", "name", host.veth_host, "netns", host.netns)
        _ip("link", "set", host.veth_root, "master", BRIDGE)
        _ip("link", "set", host.veth_root, "up")
        _ip("-n", host.netns, "addr", "add", f"{host.address}/{prefix_len}", "dev", host.veth_host)
        _ip("-n", host.netns, "link", "set", host.veth_host, "up")  # no default route: only the subnet is reachable


def default_routes(host: Host) -> list[str]:
    """The host's default routes (IPv4 and IPv6): none, or traffic could leave the bridge's subnet."""
    routes = []
    for family in ("-4", "-6"):  # a kernel without IPv6 answers -6 with an error: no route there either
        answer = _ip(family, "-n", host.netns, "route", "show", "default", check=family == "-4")
        routes += [line for line in answer.stdout.splitlines() if line.strip()]
    return routes


def cut(host: Host) -> None:
    """The host's link down: it can reach nothing and nothing reaches it, as if its cable were pulled."""
    _ip("-n", host.netns, "link", "set", host.veth_host, "down")


def in_netns(host: Host, command: list[str], cpu: int | None = None) -> list[str]:
    """``command`` run inside the host's namespace, pinned to one CPU when ``cpu`` is given."""
    pinned = ["taskset", "-c", str(cpu)] if cpu is not None else []
    return ["ip", "netns", "exec", host.netns, *pinned, *command]
