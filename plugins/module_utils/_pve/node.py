# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node preparation: repositories, kernel command line and vfio-pci (pure, no I/O; storage is in storage.py).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

ENTERPRISE_URIS = ('enterprise.proxmox.com',)
NO_SUBSCRIPTION = ('pve-no-subscription',)


def repository_actions(answer, mode):
    """The changes that make ``GET /nodes/{node}/apt/repositories`` match ``mode``:
    ``no-subscription`` (every enterprise repository off, pve-no-subscription on) or ``enterprise``."""
    actions = []
    want_enterprise = mode == 'enterprise'
    for entry in answer.get('files') or ():
        for index, repo in enumerate(entry.get('repositories') or ()):
            uris = ' '.join(repo.get('URIs') or ())
            components = repo.get('Components') or ()
            enabled = bool(repo.get('Enabled'))
            label = '%s#%d' % (entry['path'], index)
            if any(u in uris for u in ENTERPRISE_URIS) and enabled != want_enterprise:
                actions.append({'kind': 'toggle', 'path': entry['path'], 'index': index, 'enabled': want_enterprise,
                                'label': '%s %s' % ('enable' if want_enterprise else 'disable', label),
                                'before': '%s %s' % ('disabled' if want_enterprise else 'enabled', label)})
            elif any(c in components for c in NO_SUBSCRIPTION) and enabled == want_enterprise:
                actions.append({'kind': 'toggle', 'path': entry['path'], 'index': index, 'enabled': not want_enterprise,
                                'label': '%s %s' % ('disable' if want_enterprise else 'enable', label),
                                'before': '%s %s' % ('enabled' if want_enterprise else 'disabled', label)})
    handles = {r['handle']: r for r in answer.get('standard-repos') or ()}
    if not want_enterprise and 'status' not in handles.get('no-subscription', {}):
        actions.append({'kind': 'add', 'handle': 'no-subscription', 'label': 'add no-subscription',
                        'before': 'no no-subscription repository'})
    return actions


def cmdline_with(cmdline, wanted):
    """The kernel command line with each ``key=value`` (or flag) of ``wanted`` present exactly once."""
    tokens = str(cmdline or '').split()
    for token in wanted:
        key = token.split('=', 1)[0]
        tokens = [t for t in tokens if t.split('=', 1)[0] != key]
        tokens.append(token)
    return ' '.join(tokens)


def iommu_args(cpu_vendor):
    """Kernel arguments for passthrough: Intel needs intel_iommu=on (default on since kernel 6.8 but explicit is
    safe); AMD has its IOMMU on by default. iommu=pt keeps host devices off the IOMMU's translation."""
    if str(cpu_vendor).lower().startswith(('intel', 'genuineintel')):
        return ['intel_iommu=on', 'iommu=pt']
    return ['iommu=pt']
