#!/usr/bin/env python3
"""Checks deploy/kubernetes/ against the code, since no Kubernetes runs here.

What a cluster would reject, or what would make its pods never find each other, without a
word, is checked here instead:
  * every manifest parses as YAML and is of a known kind; the Kustomization lists them all;
  * the Service is headless and publishes pods before they are ready (nodes must find each
    other to become ready), and selects the StatefulSet's pods; the StatefulSet names it;
  * every SNOW_* variable the pods set is one snow reads (src/runtime/environment.cpp),
    and the cookie comes from a Secret, never a literal;
  * SNOW_DISCOVERY's SRV name is the one the Service publishes (_<port name>._tcp.<service>),
    SNOW_NODE's host is the pod's stable DNS name under that Service, and its port is the
    Service's and the container's;
  * the probes ask the metrics port the program is told to serve on, for a path it serves;
  * the image is the one deploy/Dockerfile builds, of a program examples/ builds;
  * and the program itself, given the pod's environment (with sample pod and namespace
    names), takes every variable: its report line names each and ignores none.

usage: check_manifests.py ROOT CLUSTER_MEMBER_BINARY
"""
import pathlib
import re
import subprocess
import sys

import yaml


def fail(why):
    sys.exit(f"deploy/kubernetes: {why}")


def main():
    root = pathlib.Path(sys.argv[1])
    member = sys.argv[2]
    here = root / 'deploy' / 'kubernetes'
    docs = {}
    for path in sorted(here.glob('*.yaml')):
        for doc in yaml.safe_load_all(path.read_text()):
            if not isinstance(doc, dict) or 'kind' not in doc:
                fail(f'{path.name}: a document without a kind')
            docs.setdefault(doc['kind'], []).append((path.name, doc))
    if sorted(docs) != ['Kustomization', 'Service', 'StatefulSet']:
        fail(f'expected a Kustomization, a Service and a StatefulSet, found {sorted(docs)}')
    (_, kust), = docs['Kustomization']
    (service_file, service), = docs['Service']
    (set_file, sts), = docs['StatefulSet']
    if sorted(kust['resources']) != sorted([service_file, set_file]):
        fail(f"kustomization.yaml lists {kust['resources']}, not {service_file} and {set_file}")

    # The Service: headless, publishing unready pods, selecting the StatefulSet's pods.
    spec = service['spec']
    if spec.get('clusterIP') != 'None':
        fail('the Service must be headless (clusterIP: None): one DNS record per pod')
    if spec.get('publishNotReadyAddresses') is not True:
        fail('the Service must publish pods before they are ready, or no node finds another')
    pod = sts['spec']['template']
    labels = pod['metadata']['labels']
    for selector in (spec['selector'], sts['spec']['selector']['matchLabels']):
        if any(labels.get(k) != v for k, v in selector.items()):
            fail(f'selector {selector} does not select the pods (labels {labels})')
    if sts['spec']['serviceName'] != service['metadata']['name']:
        fail('the StatefulSet must name the headless Service (serviceName): it gives pods their DNS names')
    (dist_port,) = [p for p in spec['ports'] if p['name'] == 'dist']

    # The container: its environment, ports and probes.
    (container,) = pod['spec']['containers']
    ports = {p['name']: p['containerPort'] for p in container['ports']}
    if dist_port['port'] != ports['dist'] or dist_port['targetPort'] not in ('dist', ports['dist']):
        fail('the Service port and the container port of the distribution differ')
    env = {e['name']: e for e in container['env']}
    known = set(re.findall(r'variable\("(SNOW_[A-Z_]+)"\)', (root / 'src/runtime/environment.cpp').read_text()))
    for name in env:
        if name.startswith('SNOW_') and name not in known:
            fail(f'{name} is set, but snow reads only {sorted(known)}')
    cookie = env.get('SNOW_COOKIE', {})
    if 'value' in cookie or 'secretKeyRef' not in cookie.get('valueFrom', {}):
        fail('SNOW_COOKIE must come from a Secret (valueFrom.secretKeyRef)')
    service_name = service['metadata']['name']
    srv = f"srv:_{dist_port['name']}._{dist_port['protocol'].lower()}.{service_name}."
    if not env['SNOW_DISCOVERY']['value'].startswith(srv):
        fail(f"SNOW_DISCOVERY is {env['SNOW_DISCOVERY']['value']}, but the Service publishes {srv}...")
    node = env['SNOW_NODE']['value']
    m = re.fullmatch(r'\$\(POD_NAME\)@\$\(POD_NAME\)\.' + re.escape(service_name) + r'\.\S+:(\d+)', node)
    if not m or int(m.group(1)) != ports['dist']:
        fail(f'SNOW_NODE ({node}) must be the pod\'s DNS name under the Service, on the dist port')
    args = container.get('args', [])
    metrics = args[args.index('--metrics') + 1] if '--metrics' in args else ''
    if not metrics.endswith(f":{ports['metrics']}") or metrics.startswith('127.'):
        fail(f"--metrics {metrics}: the kubelet probes port {ports['metrics']} from outside the pod")
    endpoint = (root / 'src/observe/metrics_endpoint.cpp').read_text()
    for probe in ('readinessProbe', 'livenessProbe'):
        get = container[probe]['httpGet']
        if get['port'] not in ('metrics', ports['metrics']) or f'"{get["path"]}"' not in endpoint:
            fail(f'{probe} asks {get} of a port or path the program does not serve')

    # The image: the one the Dockerfile builds, of a program examples/ builds.
    dockerfile = (root / 'deploy' / 'Dockerfile').read_text()
    program = pathlib.Path(dockerfile.split('ENTRYPOINT ["')[1].split('"')[0]).name
    if f"'{program}'" not in (root / 'examples' / 'meson.build').read_text():
        fail(f'the image runs {program}, which examples/meson.build does not build')
    if f"-t {container['image']} " not in dockerfile:
        fail(f"the pods run {container['image']}, which deploy/Dockerfile does not say how to build")

    # The program, given the pod's environment, takes every variable.
    sample = {'POD_NAME': 'snow-0', 'POD_NAMESPACE': 'prod'}
    run_env = {'PATH': '/usr/bin:/bin', 'HOME': '/nonexistent'}
    for name, e in env.items():
        if not name.startswith('SNOW_'):
            continue
        value = e.get('value', 'a-cookie-from-the-secret-0123456789')
        run_env[name] = re.sub(r'\$\((\w+)\)', lambda g: sample[g.group(1)], value)
    # The node cannot listen on the pod's DNS name here: it fails to start, after saying
    # what it took from the environment, which is what is checked.
    run = subprocess.run([member, '--for', '0.1', '--metrics', '127.0.0.1:0'], env=run_env, capture_output=True,
                         text=True, timeout=60)
    line = next((l for l in run.stderr.splitlines() if 'from the environment:' in l), '')
    for name in run_env:
        if name.startswith('SNOW_') and name not in line:
            fail(f'cluster_member did not take {name}: {line or run.stderr}')
    if 'ignored' in line:
        fail(f'cluster_member ignored part of the pod\'s environment: {line}')
    print(f'deploy/kubernetes: {len(docs)} kinds checked; cluster_member took: {line.split(": ", 1)[1]}')


if __name__ == '__main__':
    main()
