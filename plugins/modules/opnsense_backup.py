#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_backup
short_description: Download an OPNsense configuration backup through the API, kept 0600
version_added: 0.2.0
description:
  - Downloads the firewall's newest configuration backup (C(core/backup/download/this), the current
    C(config.xml)) into O(dest_dir) under the name the firewall gives it (C(config-<host>-<time>.xml)), readable by
    its owner only (0600), written atomically. A file of that name and content already there is kept
    (C(changed=false)), so a run that changes nothing on the firewall adds no file.
  - The file holds every secret of the firewall (password hashes, private keys, API key hashes); keep O(dest_dir)
    on a host that outlives the run (the logic node) and out of backups that others read.
  - In check mode nothing is downloaded or written.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  dest_dir:
    description: The directory to keep the backup in; made (0700) when missing.
    type: path
    required: true
  min_version:
    description: Fail unless the firewall runs at least this OPNsense version (read from C(core/firmware/status)).
    type: str
    default: '25.7'
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: A backup before anything changes
  homelab.cluster.opnsense_backup:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    dest_dir: /var/backups/opnsense
  register: opnsense_backup_taken
'''

RETURN = r'''
path:
  description: The backup file (none in check mode).
  returned: always
  type: str
  sample: /var/backups/opnsense/config-gate.home.arpa-1767225600.1234.xml
filename:
  description: Its name as the firewall gave it.
  returned: unless check mode
  type: str
sha256:
  description: Its SHA-256.
  returned: unless check mode
  type: str
size:
  description: Its size in bytes.
  returned: unless check mode
  type: int
version:
  description: The firewall's OPNsense version.
  returned: always
  type: str
  sample: 26.7.2
'''

import hashlib
import os
import re
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import connect
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec


def filename_of(disposition, fallback):
    match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition or '')
    name = os.path.basename(match.group(1)) if match else ''
    name = re.sub(r'%([0-9A-Fa-f]{2})', lambda m: chr(int(m.group(1), 16)), name)
    return name if re.match(r'^[A-Za-z0-9][A-Za-z0-9._-]*\.xml$', name) else fallback


def main():
    module = AnsibleModule(
        argument_spec=spec(
            dest_dir=dict(type='path', required=True),
            min_version=dict(type='str', default='25.7'),
        ),
        supports_check_mode=True,
    )
    client = connect(module)
    try:
        version = client.version()
    except _client.APIError as exc:
        module.fail_json(msg='reading the firmware version failed: %s' % exc)
    if _client.version_tuple(version) < _client.version_tuple(module.params['min_version']):
        module.fail_json(msg='the firewall runs OPNsense %s; homelab.cluster needs %s or later (its API names and '
                             'shapes); nothing was changed' % (version, module.params['min_version']), version=version)
    dest = module.params['dest_dir']
    if module.check_mode:
        module.exit_json(changed=True, path=None, version=version,
                         msg='would download the configuration into %s' % dest)
    try:
        response = client.request('GET', 'core/backup/download/this', raw=True)
    except _client.APIError as exc:
        module.fail_json(msg='downloading the configuration backup failed: %s' % exc, version=version)
    data = response.content
    if b'<opnsense' not in data[:400]:
        module.fail_json(msg='core/backup/download/this answered something that is not an OPNsense config.xml (%d '
                             'bytes starting %r); nothing was written' % (len(data), data[:60]), version=version)
    name = filename_of(response.headers.get('Content-Disposition'),
                       'config-opnsense-%s.xml' % time.strftime('%Y%m%d%H%M%S'))
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(dest, name)
    result = dict(path=path, filename=name, sha256=digest, size=len(data), version=version)
    if os.path.exists(path):
        with open(path, 'rb') as handle:
            if hashlib.sha256(handle.read()).hexdigest() == digest:
                if os.stat(path).st_mode & 0o777 != 0o600:
                    os.chmod(path, 0o600)
                    module.exit_json(changed=True, msg='kept; mode set to 0600', **result)
                module.exit_json(changed=False, msg='kept: the newest backup already holds this configuration',
                                 **result)
    try:
        if not os.path.isdir(dest):
            os.makedirs(dest, 0o700)
        fd, tmp = tempfile.mkstemp(prefix='.%s.' % name, dir=dest)  # mkstemp creates it 0600
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        module.fail_json(msg='writing the backup to %s failed: %s' % (path, exc), version=version)
    module.exit_json(changed=True, msg='saved', **result)


if __name__ == '__main__':
    main()
