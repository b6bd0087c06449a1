"""Hosts on one Ethernet segment, made of Linux network namespaces (root only).

build_bridge(tag, hosts) makes namespace `tag + name` for each host, with its address
(a /24) on one end of a veth pair whose other end is on bridge br0 in namespace
`tag + "sw"` (the switch). Taking a host's switch end down cuts it off, as pulling its
cable would. Names start with `tag`, unique to a run, so runs never meet; deleting the
namespaces undoes everything.
"""
import subprocess


def ip(*args):
    return subprocess.run(["ip"] + list(args), check=True, capture_output=True, text=True)


def build_bridge(tag, hosts):
    switch = tag + "sw"
    ip("netns", "add", switch)
    ip("-n", switch, "link", "add", "br0", "type", "bridge")
    ip("-n", switch, "link", "set", "br0", "up")
    for host, addr in hosts.items():
        ns = tag + host
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
        # The pair is made in this namespace and each end moved where it belongs.
        ip("link", "add", tag + host + "0", "type", "veth", "peer", "name", tag + host + "1")
        ip("link", "set", tag + host + "0", "netns", ns)
        ip("link", "set", tag + host + "1", "netns", switch)
        ip("-n", ns, "addr", "add", addr + "/24", "dev", tag + host + "0")
        ip("-n", ns, "link", "set", tag + host + "0", "up")
        ip("-n", switch, "link", "set", tag + host + "1", "master", "br0")
        ip("-n", switch, "link", "set", tag + host + "1", "up")
