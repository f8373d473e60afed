"""Write the trimmed Proxmox VE API schema that the PVE API DOUBLE (pve_api.py) validates requests against.

Source: the generated API schema of pve-docs, ``api-viewer/apidata.js`` (the JSON the API viewer renders, built
from pve-manager's own method definitions). Only the endpoints and methods homelab.cluster calls (ENDPOINTS
below, plus what community.proxmox's modules call for the steps the roles delegate to them) are kept, and only
the fields a validator needs: parameter names, types, formats (property-string keys), enums, ranges, patterns,
optional/required, return shapes, permissions, ``allowtoken`` and ``protected``. Descriptions are dropped.

    python3 lab/doubles/pve_schema_extract.py /path/to/pve-docs [COMMIT]   # rewrites pve_api_schema.json

The file is committed as data, with its source, commit and release; regenerate it from a newer pve-docs when
the API changes.
"""

import json
import os
import re
import subprocess
import sys

ENDPOINTS = {
    '/version': ['GET'],
    '/access/ticket': ['POST'],
    '/nodes': ['GET'],
    '/cluster/status': ['GET'],
    '/cluster/resources': ['GET'],
    '/cluster/nextid': ['GET'],
    '/cluster/config': ['POST'],
    '/cluster/config/totem': ['GET'],
    '/cluster/config/join': ['GET', 'POST'],
    '/nodes/{node}/hardware/pci': ['GET'],
    '/nodes/{node}/qemu': ['POST'],
    '/nodes/{node}/qemu/{vmid}/config': ['GET', 'POST'],
    '/nodes/{node}/qemu/{vmid}/resize': ['PUT'],
    '/nodes/{node}/qemu/{vmid}/status/current': ['GET'],
    '/nodes/{node}/qemu/{vmid}/status/start': ['POST'],
    '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces': ['GET'],
    '/nodes/{node}/lxc/{vmid}/config': ['GET'],
    '/nodes/{node}/lxc/{vmid}/interfaces': ['GET'],
    '/nodes/{node}/tasks/{upid}/status': ['GET'],
    '/nodes/{node}/apt/repositories': ['GET', 'POST', 'PUT'],
    '/cluster/mapping/pci': ['GET', 'POST'],
    '/cluster/mapping/pci/{id}': ['GET', 'PUT'],
    '/storage': ['GET', 'POST'],
    '/storage/{storage}': ['GET', 'PUT'],
}
_DROP = ('description', 'verbose_description', 'format_description', 'title', 'requires', 'alias',
         'instance-types', 'links')


def _trim(value):
    if isinstance(value, dict):
        return {k: _trim(v) for k, v in value.items() if k not in _DROP}
    if isinstance(value, list):
        return [_trim(v) for v in value]
    return value


def load_apidata(text):
    """apidata.js is ``const apiSchema = [...];`` followed by viewer code: take the JSON array."""
    start = text.index('[')
    end = text.index('\n]\n', start) + 2 if '\n]\n' in text else text.rindex(']') + 1
    return json.loads(text[start:end])


def index(tree):
    out = {}
    stack = list(tree)
    while stack:
        node = stack.pop()
        out[node['path']] = node
        stack.extend(node.get('children') or ())
    return out


def extract(schema_tree):
    nodes = index(schema_tree)
    endpoints = {}
    for path, methods in sorted(ENDPOINTS.items()):
        info = nodes[path]['info']
        endpoints[path] = {}
        for method in methods:
            entry = info[method]
            endpoints[path][method] = _trim({key: entry[key] for key in
                                             ('parameters', 'returns', 'permissions', 'allowtoken', 'protected',
                                              'name') if key in entry})
    return endpoints


def main(argv):
    repo = argv[1]
    commit = argv[2] if len(argv) > 2 else 'HEAD'
    text = subprocess.check_output(['git', '-C', repo, 'show', '%s:api-viewer/apidata.js' % commit], text=True)
    sha = subprocess.check_output(['git', '-C', repo, 'rev-parse', commit], text=True).strip()
    changelog = subprocess.check_output(['git', '-C', repo, 'show', '%s:debian/changelog' % commit], text=True)
    release = re.match(r'pve-docs \(([^)]+)\)', changelog).group(1)
    out = {
        'source': 'proxmox/pve-docs api-viewer/apidata.js (generated from pve-manager\'s API definitions)',
        'commit': sha,
        'release': release,
        'generator': 'lab/doubles/pve_schema_extract.py',
        'endpoints': extract(load_apidata(text)),
    }
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pve_api_schema.json')
    with open(target, 'w') as handle:
        json.dump(out, handle, indent=1, sort_keys=True)
        handle.write('\n')
    print('%s: %d endpoints from pve-docs %s (%s)' % (target, len(out['endpoints']), release, sha[:12]))


if __name__ == '__main__':
    main(sys.argv)
