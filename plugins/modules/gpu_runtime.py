#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gpu_runtime
short_description: The NVIDIA container runtime for Docker, containerd and podman (CDI), idempotently
version_added: 0.1.0
description:
  - What C(nvidia-ctk runtime configure) and C(nvidia-ctk cdi generate) do, but idempotent, with check mode and
    a diff, keeping the rest of the user's configuration.
  - V(docker) - C(runtimes.nvidia) in C(daemon.json) (and C(default-runtime), and C(features.cdi) when
    O(docker_cdi) is set). The file is rewritten only when its content changes.
  - V(containerd) - the runtime under the CRI plugin of C(config.toml) (config version 2 for containerd 1.x,
    version 3 for 2.x, read from the file), with C(options.BinaryName), C(SystemdCgroup) copied from the runc
    runtime, and C(default_runtime_name) when O(default). The file is edited line by line; comments and every
    other setting stay as they are.
  - V(podman) (or any CDI consumer) - the CDI spec O(cdi_spec) from C(nvidia-ctk cdi generate), replaced only
    when the generated spec differs. Without C(nvidia-ctk) this engine is reported as skipped. It needs the driver
    loaded (NVML). From container toolkit 1.18 on, the toolkit's C(nvidia-cdi-refresh) units keep
    C(/var/run/cdi/nvidia.yaml) themselves; this is for older toolkits (C(homelab.cluster.gpu_stack) chooses).
  - It does not restart anything; RV(restart) names the services whose configuration changed, for a handler.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  engines:
    description: Which container engines to configure.
    type: list
    elements: str
    choices: [docker, containerd, podman]
    required: true
  state:
    description: V(present) adds the runtime, V(absent) removes it (and the default that names it).
    type: str
    choices: [present, absent]
    default: present
  runtime_name:
    description: The runtime's name.
    type: str
    default: nvidia
  runtime_path:
    description:
      - The runtime binary. Docker gets it as written (a name is looked up in PATH, as nvidia-ctk writes it);
        containerd needs a full path and gets V(/usr/bin/) prepended to a bare name.
    type: str
    default: nvidia-container-runtime
  default:
    description:
      - Make it the default runtime (every container sees the GPUs). V(false) removes a default that names it.
    type: bool
    default: false
  docker_cdi:
    description: Set Docker's C(features.cdi) (Docker 25 and later) to this; leave it alone when unset.
    type: bool
  docker_config:
    description: Docker's daemon.json.
    type: path
    default: /etc/docker/daemon.json
  containerd_config:
    description: containerd's config.toml.
    type: path
    default: /etc/containerd/config.toml
  containerd_version:
    description: The config version to write into a containerd config that does not exist or says none.
    type: int
    choices: [2, 3]
    default: 2
  cdi_spec:
    description: Where the CDI spec goes (NVIDIA's documented place for toolkits before 1.18).
    type: path
    default: /etc/cdi/nvidia.yaml
  nvidia_ctk:
    description: The nvidia-ctk binary, for the CDI spec; looked up in PATH when not given.
    type: path
  backup:
    description: Keep a timestamped copy of a file before changing it.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
seealso:
  - module: homelab.cluster.gpu_info
  - name: NVIDIA Container Toolkit, configuration
    description: What nvidia-ctk runtime configure writes.
    link: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html
'''

EXAMPLES = r'''
- name: The NVIDIA runtime for Docker and podman
  homelab.cluster.gpu_runtime:
    engines: [docker, podman]
    docker_cdi: true
  notify: Restart docker

- name: The default runtime of a k3s node's containerd
  homelab.cluster.gpu_runtime:
    engines: [containerd]
    containerd_config: /var/lib/rancher/k3s/agent/etc/containerd/config.toml.tmpl
    default: true

- name: Take it out again
  homelab.cluster.gpu_runtime:
    engines: [docker, containerd]
    state: absent
'''

RETURN = r'''
engines:
  description: Per engine, the file and whether it changed (or why it was skipped).
  returned: always
  type: dict
  sample:
    docker: {path: /etc/docker/daemon.json, changed: true}
    podman: {path: /etc/cdi/nvidia.yaml, changed: false, skipped: "nvidia-ctk not found"}
restart:
  description: The services whose configuration changed (V(docker), V(containerd)); podman needs no restart.
  returned: always
  type: list
  elements: str
backup_files:
  description: The backups made.
  returned: when O(backup) and a file changed
  type: list
  elements: str
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._gpu_runtime import RuntimeConfigError
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_runtime import containerd_config
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_runtime import docker_daemon


def read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RuntimeConfigError('cannot read it: %s' % exc) from None


def write(module, path, text, backups):
    if module.params['backup'] and os.path.exists(path):
        backups.append(module.backup_local(path))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    handle, temp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    with os.fdopen(handle, 'w') as out:
        out.write(text)
    if os.path.exists(path):
        os.chmod(temp, os.stat(path).st_mode & 0o7777)
    else:
        os.chmod(temp, 0o644)
    module.atomic_move(temp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            engines=dict(type='list', elements='str', choices=['docker', 'containerd', 'podman'], required=True),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            runtime_name=dict(type='str', default='nvidia'),
            runtime_path=dict(type='str', default='nvidia-container-runtime'),
            default=dict(type='bool', default=False),
            docker_cdi=dict(type='bool'),
            docker_config=dict(type='path', default='/etc/docker/daemon.json'),
            containerd_config=dict(type='path', default='/etc/containerd/config.toml'),
            containerd_version=dict(type='int', choices=[2, 3], default=2),
            cdi_spec=dict(type='path', default='/etc/cdi/nvidia.yaml'),
            nvidia_ctk=dict(type='path'),
            backup=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    name, state = p['runtime_name'], p['state']
    results, diffs, restart, backups, writes = {}, [], [], [], []

    for engine in sorted(set(p['engines']), key=p['engines'].index):
        if engine == 'podman':
            continue
        path = p['docker_config'] if engine == 'docker' else p['containerd_config']
        try:
            before = read(path)
            if engine == 'docker':
                after = docker_daemon(before or '', name, p['runtime_path'], p['default'], p['docker_cdi'], state)
            else:
                binary = p['runtime_path'] if p['runtime_path'].startswith('/') else '/usr/bin/' + p['runtime_path']
                after = containerd_config(before or '', name, binary, p['default'], state, p['containerd_version'])
        except RuntimeConfigError as exc:
            module.fail_json(msg='%s: %s: %s; nothing was changed' % (engine, path, exc), engines=results)
        if state == 'absent' and before is None:
            after = None
        changed = after != before and after is not None
        results[engine] = {'path': path, 'changed': changed}
        if changed:
            diffs.append({'before': before or '', 'after': after, 'before_header': path, 'after_header': path})
            writes.append((path, after))
            restart.append(engine)

    if 'podman' in p['engines']:
        results['podman'] = cdi(module, diffs, writes)

    # every file was read and edited in memory before the first write: a bad file stops all of them
    if not module.check_mode:
        for path, text in writes:
            try:
                if text is None:
                    os.unlink(path)
                else:
                    write(module, path, text, backups)
            except OSError as exc:
                module.fail_json(msg='writing %s failed: %s' % (path, exc), engines=results)
    out = dict(changed=bool(writes), engines=results, restart=restart, diff=diffs)
    if backups:
        out['backup_files'] = backups
    module.exit_json(**out)


def cdi(module, diffs, writes):
    p = module.params
    path = p['cdi_spec']
    if p['state'] == 'absent':
        exists = os.path.exists(path)
        if exists:
            diffs.append({'before': read(path) or '', 'after': '', 'before_header': path, 'after_header': path})
            writes.append((path, None))
        return {'path': path, 'changed': exists}
    tool = p['nvidia_ctk'] or module.get_bin_path('nvidia-ctk')
    if not tool:
        return {'path': path, 'changed': False, 'skipped': 'nvidia-ctk not found (install nvidia-container-toolkit)'}
    handle, temp = tempfile.mkstemp(prefix='homelab-cdi-', suffix='.yaml')
    os.close(handle)
    try:
        rc, out, err = module.run_command([tool, 'cdi', 'generate', '--output=%s' % temp])
        if rc != 0:
            module.fail_json(msg='%s cdi generate --output=%s exited %s: %s' % (tool, temp, rc, (err or out).strip()),
                             rc=rc, stdout=out, stderr=err)
        generated = read(temp) or ''
    finally:
        os.unlink(temp)
    before = read(path)
    changed = generated != before
    if changed:
        diffs.append({'before': before or '', 'after': generated, 'before_header': path, 'after_header': path})
        writes.append((path, generated))
    return {'path': path, 'changed': changed}


if __name__ == '__main__':
    main()
