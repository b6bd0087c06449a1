#!/usr/bin/env python3
"""Mutual TLS ties a node's name to its certificate, between live nodes on 127.0.0.1.

An openssl-made CA signs certificates whose subjectAltName says which node holds them
(URI:snow://NAME@127.0.0.1, or IP:127.0.0.1 for the host rule). Nodes a and b, each with
its own certificate, connect. Then zeta, started with a's certificate and key (a valid,
CA-signed certificate that is not zeta's), is refused by b both ways: when zeta dials b
(b checks the name in zeta's hello) and when b dials zeta (b checks the name it dialled).
Each refusal is an error answer, zeta never appears in b's list, b's refused counter
rises and b logs why; a and b stay connected. Under --name-check none the same zeta gets
in; under --name-check host, a certificate for the host lets any node name on it in,
and one for a node URI does not.
Usage: mtls_name_test.py PATH/TO/hardening_peer
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nodes import Checks, Node, eventually, stop_all  # noqa: E402

PEER = sys.argv[1]
check = Checks()


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


class Certificates:
    """A throw-away CA in `workdir`, and certificates it signs (as TlsOptions documents)."""

    def __init__(self, workdir):
        self.dir = workdir
        self.ca = os.path.join(workdir, "ca.pem")
        self.ca_key = os.path.join(workdir, "ca.key")
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=snow test CA", "-days", "1", "-keyout", self.ca_key, "-out", self.ca)

    def issue(self, label, subject_alt_name):
        """(cert, key) files for a certificate carrying `subject_alt_name`."""
        cert, key, csr = (os.path.join(self.dir, label + ext) for ext in (".pem", ".key", ".csr"))
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=" + label, "-keyout", key, "-out", csr, "-addext", "subjectAltName=" + subject_alt_name)
        openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key, "-days", "1",
                "-copy_extensions", "copy", "-out", cert)
        return cert, key

    def args(self, cert_and_key, name_check=None):
        cert, key = cert_and_key
        out = ["--tls-ca", self.ca, "--tls-cert", cert, "--tls-key", key]
        return out + (["--name-check", name_check] if name_check else [])


def refused(node):
    """node's handshakes_refused counter."""
    stats = dict(item.split("=") for item in node.ask("nodestats").split()[1:])
    return int(stats["refused"])


def lists(node, prefix):
    return any(n.startswith(prefix) for n in node.list())


def logged(node, text):
    return [line for line in node.stderr_lines if text in line]


def run_checks(workdir, nodes):
    """The checks; every node started is appended to `nodes`, for main to stop."""
    def start(name, args):
        n = Node(PEER, name, args=args)
        nodes.append(n)
        return n

    certs = Certificates(workdir)
    a_cert = certs.issue("a", "URI:snow://a@127.0.0.1")
    b_cert = certs.issue("b", "URI:snow://b@127.0.0.1")

    a = start("a@127.0.0.1:0", certs.args(a_cert))
    b = start("b@127.0.0.1:0", certs.args(b_cert))
    check(a.ask("connect " + b.name) == "connect ok", "a and b, each with its own certificate, connect")
    check(eventually(lambda: lists(a, "b@") and lists(b, "a@"), 2), "a and b list each other")
    refused_before = refused(b)

    # zeta holds a's certificate: signed by the CA, but naming a, not zeta.
    zeta = start("zeta@127.0.0.1:0", certs.args(a_cert))
    answer = zeta.ask("connect " + b.name)
    check(answer.startswith("connect error PERMISSION_DENIED"),
          "zeta with a's certificate dialling b is refused: %s" % answer)
    check(not lists(b, "zeta@"), "b does not list zeta")
    check(refused(b) > refused_before, "b's refused counter rose (%d -> %d)" % (refused_before, refused(b)))
    check(eventually(lambda: logged(b, "refused " + zeta.name), 2),
          "b logged the refusal: %s" % (logged(b, "refused " + zeta.name)[:1],))
    check(all("URI:snow://zeta@127.0.0.1" in l and "URI:snow://a@127.0.0.1" in l
              for l in logged(b, "refused " + zeta.name)),
          "the log line says what the name needed and what the certificate holds")

    # b dialling zeta: zeta's hello claims the name b dialled, the certificate is a's.
    refused_before = refused(b)
    answer = b.ask("connect " + zeta.name)
    check(answer.startswith("connect error PERMISSION_DENIED"), "b dialling zeta refuses it: %s" % answer)
    check(refused(b) > refused_before, "b's refused counter rose again")
    check(not lists(b, "zeta@") and not lists(a, "zeta@"), "neither a nor b lists zeta")
    zeta.stop()

    check(lists(a, "b@") and lists(b, "a@"), "a and b are still connected")
    check(a.ask("ping " + b.name).startswith("pong "), "a still reaches b's echo")

    # --name-check none on the accepting side: a's certificate lets zeta in (unsafe).
    c_cert = certs.issue("c", "URI:snow://c@127.0.0.1")
    c = start("c@127.0.0.1:0", certs.args(c_cert, "none"))
    zeta2 = start("zeta@127.0.0.1:0", certs.args(a_cert))
    answer = zeta2.ask("connect " + c.name)
    check(answer == "connect ok", "with --name-check none, zeta with a's certificate gets into c: %s" % answer)
    check(eventually(lambda: lists(c, "zeta@"), 2), "c lists zeta")

    # --name-check host: a certificate for the host 127.0.0.1 lets any name on it in;
    # a node URI is no host entry.
    host_cert = certs.issue("host", "IP:127.0.0.1")
    d = start("d@127.0.0.1:0", certs.args(host_cert, "host"))
    e = start("e@127.0.0.1:0", certs.args(host_cert, "host"))
    check(e.ask("connect " + d.name) == "connect ok", "with --name-check host, e and d (IP:127.0.0.1) connect")
    refused_before = refused(d)
    f = start("f@127.0.0.1:0", certs.args(certs.issue("f", "URI:snow://f@127.0.0.1"), "none"))
    answer = f.ask("connect " + d.name)
    check(answer.startswith("connect error PERMISSION_DENIED") and refused(d) > refused_before,
          "with --name-check host, d refuses f whose certificate names only the node: %s" % answer)
    check(not lists(d, "f@"), "d does not list f")

    check(all(n.alive() for n in nodes if n not in (zeta,)), "every node is alive")


def main():
    nodes = []
    with tempfile.TemporaryDirectory(prefix="snow-mtls-") as workdir:
        try:
            run_checks(workdir, nodes)
        finally:
            stop_all(check, nodes)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
