"""States for the PVE API DOUBLE: the seeds' cluster with every documented gotcha, a fresh node, and bench sizes.

    python3 lab/doubles/pve_fixtures.py inventory STATE.json     # 3 nodes, guests with and without GPUs
    python3 lab/doubles/pve_fixtures.py node STATE.json          # a fresh standalone forge (the node role)
    python3 lab/doubles/pve_fixtures.py bench STATE.json 3 1000  # 3 nodes x 1000 guests

Addresses are in the lab's own range (10.77.87.0/24) and are never contacted: only the double is.
"""

import json
import sys

GIB = 1024 ** 3
FINGERPRINT = ':'.join(['AB'] * 32)

# forge's PCI devices as /nodes/forge/hardware/pci lists them (recorded lspci of the seeds' box, IOMMU groups of
# an X870 board with the GPUs in CPU-attached slots; the RX 6700 XT sits in a chipset slot whose group it
# shares with the USB controller).
FORGE_PCI = [
    ('0000:00:00.0', '0x060000', '0x1022', '0x14d8', 'Advanced Micro Devices, Inc. [AMD]', 'Device 14d8', 0),
    ('0000:01:00.0', '0x030000', '0x10de', '0x2705', 'NVIDIA Corporation', 'AD103 [GeForce RTX 4070 Ti SUPER]', 14),
    ('0000:01:00.1', '0x040300', '0x10de', '0x22bb', 'NVIDIA Corporation', 'AD103 High Definition Audio Controller',
     14),
    ('0000:03:00.0', '0x030000', '0x1002', '0x744c', 'Advanced Micro Devices, Inc. [AMD/ATI]',
     'Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]', 15),
    ('0000:03:00.1', '0x040300', '0x1002', '0xab30', 'Advanced Micro Devices, Inc. [AMD/ATI]', 'Navi 31 HDMI/DP Audio',
     15),
    ('0000:07:00.0', '0x030000', '0x1002', '0x73df', 'Advanced Micro Devices, Inc. [AMD/ATI]',
     'Navi 22 [Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT]', 16),
    ('0000:07:00.1', '0x040300', '0x1002', '0xab28', 'Advanced Micro Devices, Inc. [AMD/ATI]',
     'Navi 21/23 HDMI/DP Audio Controller', 16),
    ('0000:08:00.0', '0x0c0330', '0x1022', '0x43f7', 'Advanced Micro Devices, Inc. [AMD]', '600 Series Chipset USB 3.2',
     16),
    ('0000:0e:00.0', '0x030000', '0x1002', '0x13c0', 'Advanced Micro Devices, Inc. [AMD/ATI]',
     'Granite Ridge [Radeon Graphics]', 20),
    ('0000:0f:00.0', '0x020000', '0x1d6a', '0x04c0', 'Aquantia Corp.', 'AQtion AQC113 NBase-T/IEEE 802.3an Ethernet',
     21),
]


def pci_list(rows):
    return [{'id': bus, 'class': cls, 'vendor': vendor, 'device': device, 'vendor_name': vname, 'device_name': dname,
             'subsystem_vendor': '0x1849', 'subsystem_device': '0x364e', 'iommugroup': group, 'mdev': False}
            for bus, cls, vendor, device, vname, dname, group in rows]


def apt_pve9():
    """A fresh PVE 9 install: Debian trixie, the enterprise repositories on, no no-subscription repository."""
    def repo(uri, suites, components, enabled=1):
        return {'Types': ['deb'], 'URIs': [uri], 'Suites': suites, 'Components': components, 'Enabled': enabled,
                'FileType': 'sources'}
    return {'suite': 'trixie', 'files': [
        {'path': '/etc/apt/sources.list.d/debian.sources', 'file-type': 'sources', 'repositories': [
            repo('http://deb.debian.org/debian', ['trixie', 'trixie-updates'], ['main', 'contrib']),
            repo('http://security.debian.org/debian-security', ['trixie-security'], ['main', 'contrib'])]},
        {'path': '/etc/apt/sources.list.d/pve-enterprise.sources', 'file-type': 'sources', 'repositories': [
            repo('https://enterprise.proxmox.com/debian/pve', ['trixie'], ['pve-enterprise'])]},
        {'path': '/etc/apt/sources.list.d/ceph.sources', 'file-type': 'sources', 'repositories': [
            repo('https://enterprise.proxmox.com/debian/ceph-squid', ['trixie'], ['enterprise'])]},
    ]}


def node(ip, cpus, mem_gb, pci=(), online=True, nodeid=1):
    return {'ip': ip, 'online': online, 'maxcpu': cpus, 'maxmem': mem_gb * GIB, 'pci': pci_list(pci),
            'fingerprint': FINGERPRINT, 'nodeid': nodeid, 'level': '', 'apt': apt_pve9()}


def agent(*addresses):
    return [{'name': 'lo', 'hardware-address': '00:00:00:00:00:00',
             'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', 'prefix': 8}]},
            {'name': 'eth0', 'hardware-address': 'bc:24:11:00:00:01',
             'ip-addresses': [{'ip-address': a, 'ip-address-type': 'ipv4', 'prefix': 24} for a in addresses] +
             [{'ip-address': 'fe80::be24:11ff:fe00:1', 'ip-address-type': 'ipv6', 'prefix': 64}]}]


def vm(node_name, name, cores, mem_gb, status='running', tags=None, pool=None, extra=None, agent_state=None,
       fresh=False, kind='qemu'):
    config = {'cores': cores, 'sockets': 1, 'memory': str(int(mem_gb * 1024)), 'scsihw': 'virtio-scsi-single',
              'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=30', 'ostype': 'l26'}
    if kind == 'lxc':
        config = {'cores': cores, 'memory': int(mem_gb * 1024), 'hostname': name, 'ostype': 'debian',
                  'net0': 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,ip=dhcp,type=veth'}
    elif name:
        config['name'] = name
    if tags:
        config['tags'] = tags
    config.update(extra or {})
    guest = {'node': node_name, 'type': kind, 'status': status, 'config': config, 'uptime': 3600, 'fresh': fresh}
    if pool:
        guest['pool'] = pool
    if agent_state is not None:
        guest['agent'] = agent_state
        config['agent'] = '1'
    return guest


def _base(local):
    return {
        'local_node': local,
        'version': {'version': '9.1.3', 'release': '9.1', 'repoid': '0123abcd'},
        'users': {'root@pam': {'password': 'lab-double-root', 'acl': {'/': ['*']}}},
        'tokens': {
            'homelab@pve!inventory': {'secret': '11111111-2222-3333-4444-555555555555',
                                      'acl': {'/': ['Sys.Audit', 'VM.Audit', 'VM.GuestAgent.Audit', 'Pool.Audit',
                                                    'Datastore.Audit', 'Mapping.Audit']}},
            # a PVE 8-era read-only token: VM.Monitor used to cover the guest agent, PVE 9 wants VM.GuestAgent.Audit
            'homelab@pve!pve8': {'secret': '66666666-7777-8888-9999-000000000000',
                                 'acl': {'/': ['Sys.Audit', 'VM.Audit', 'VM.Monitor', 'Pool.Audit']}},
            'homelab@pve!automation': {'secret': 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'acl': {'/': ['*']}},
        },
        'storage': {
            'local': {'type': 'dir', 'path': '/var/lib/vz', 'content': 'iso,vztmpl,backup,import'},
            'local-lvm': {'type': 'lvmthin', 'thinpool': 'data', 'vgname': 'pve', 'content': 'images,rootdir'},
        },
        'nfs_exports': {'10.77.87.30': ['/mnt/tank/pve', '/mnt/tank/k3s']},
        'mappings': {},
        'pools': [],
        'guests': {},
        'tasks': {},
    }


def inventory_state():
    state = _base('forge')
    state['cluster'] = {'name': 'homelab', 'members': ['forge', 'pve2', 'pve3'], 'version': 3}
    state['nodes'] = {'forge': node('10.77.87.10', 32, 128, FORGE_PCI, nodeid=1),
                      'pve2': node('10.77.87.11', 8, 32, nodeid=2),
                      'pve3': node('10.77.87.12', 8, 32, online=False, nodeid=3)}
    state['pools'] = ['k3s']
    state['mappings'] = {'rx-7900-xt': {'map': ['node=forge,path=0000:03:00,id=1002:744c,iommugroup=15']}}
    state['guests'] = {
        '201': vm('forge', 'k3s-cp', 4, 8, tags='k3s;control-plane', pool='k3s', agent_state=agent('10.77.87.21')),
        '205': vm('forge', 'debian-tmpl', 2, 2, status='stopped', extra={'template': 1}),
        '211': vm('forge', 'k3s-gpu1', 8, 32, tags='k3s;gpu', pool='k3s', agent_state=agent('10.77.87.22'),
                  extra={'hostpci0': '0000:01:00,pcie=1,x-vga=1', 'machine': 'q35'}),
        '212': vm('forge', 'k3s-gpu2', 8, 32, tags='k3s;gpu', pool='k3s', agent_state='booting',
                  extra={'hostpci0': 'mapping=rx-7900-xt,pcie=1', 'machine': 'q35'}),
        '213': vm('forge', 'media', 4, 8, tags='media', agent_state='not-running'),
        '220': vm('pve2', 'general', 8, 40, status='stopped', tags='web,prod'),
        '230': vm('pve2', None, 2, 4, status='unknown', fresh=True),
        '250': vm('pve3', 'backup', 2, 4, status='unknown', tags='backup'),
        '300': vm('pve2', 'dns', 1, 0.5, kind='lxc', tags='infra'),
    }
    state['guests']['300']['interfaces'] = [
        {'name': 'lo', 'hwaddr': '00:00:00:00:00:00', 'hardware-address': '00:00:00:00:00:00', 'inet': '127.0.0.1/8',
         'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'inet', 'prefix': 8}]},
        {'name': 'eth0', 'hwaddr': 'bc:24:11:00:00:02', 'hardware-address': 'bc:24:11:00:00:02',
         'inet': '10.77.87.40/24',
         'ip-addresses': [{'ip-address': '10.77.87.40', 'ip-address-type': 'inet', 'prefix': 24}]}]
    return state


def node_state():
    """One fresh PVE 9 node, standalone, enterprise repositories on, nothing configured."""
    state = _base('forge')
    state['cluster'] = {'name': None}
    state['nodes'] = {'forge': node('10.77.87.10', 32, 128, FORGE_PCI)}
    state['join_peers'] = {'10.77.87.50': {'cluster': 'homelab', 'members': ['pve-a'], 'fingerprint': FINGERPRINT,
                                           'root_password': 'peer-root-password'}}
    return state


def bench_state(nodes, guests):
    state = _base('pve1')
    names = ['pve%d' % (i + 1) for i in range(nodes)]
    state['cluster'] = {'name': 'bench', 'members': names, 'version': nodes}
    state['nodes'] = {n: node('10.77.87.%d' % (10 + i), 32, 256, nodeid=i + 1) for i, n in enumerate(names)}
    for i in range(guests):
        vmid = 1000 + i
        state['guests'][str(vmid)] = vm(names[i % nodes], 'guest-%d' % vmid, 2, 4, tags='bench;n%d' % (i % 7),
                                        agent_state=agent('10.77.%d.%d' % (88 + i // 250, 1 + i % 250)))
    return state


def main(argv):
    kind, path = argv[1], argv[2]
    state = {'inventory': inventory_state, 'node': node_state}.get(kind)
    state = state() if state else bench_state(int(argv[3]), int(argv[4]))
    with open(path, 'w') as handle:
        json.dump(state, handle, indent=1, sort_keys=True)


if __name__ == '__main__':
    main(sys.argv)
