"""Assertions for runme.sh: the inventory the live Proxmox source produced, as ansible-inventory --list printed it."""
import json
import os
import sys

work = sys.argv[1]


def load(name):
    with open(os.path.join(work, name + '.json')) as handle:
        inv = json.load(handle)
    with open(os.path.join(work, name + '.err')) as handle:
        err = handle.read()
    with open(os.path.join(work, name + '.stats')) as handle:
        stats = json.load(handle)
    return inv, err, stats


def hosts(inv, group):
    return sorted(inv.get(group, {}).get('hosts', []))


problems = []


def check(ok, what):
    print('%s %s' % ('ok  ' if ok else 'FAIL', what))
    if not ok:
        problems.append(what)


inv, err, stats = load('facts')
hv = inv['_meta']['hostvars']
check(hosts(inv, 'proxmox_nodes') == ['forge', 'pve2', 'pve3'], 'nodes are hosts: %s' % hosts(inv, 'proxmox_nodes'))
check(hosts(inv, 'proxmox_guests') == ['backup', 'dns', 'general', 'k3s-cp', 'k3s-gpu1', 'k3s-gpu2', 'media',
                                       'qemu-230'],
      'guests are hosts, the template is not: %s' % hosts(inv, 'proxmox_guests'))
check('keeper' in hv and hv['forge']['homelab_hardware']['cpu']['model'] == 'Ryzen 9 9950X',
      'the hardware file stays: keeper present, forge keeps its declared CPU')
check(hosts(inv, 'proxmox_node_forge') == ['k3s-cp', 'k3s-gpu1', 'k3s-gpu2', 'media'], 'group by node')
check(hosts(inv, 'proxmox_pool_k3s') == ['k3s-cp', 'k3s-gpu1', 'k3s-gpu2'], 'group by pool (id /pool/k3s)')
check(hosts(inv, 'proxmox_tag_k3s') == ['k3s-cp', 'k3s-gpu1', 'k3s-gpu2'] and hosts(inv, 'proxmox_tag_gpu') ==
      ['k3s-gpu1', 'k3s-gpu2'], 'tags split from one ";" string')
check(hosts(inv, 'proxmox_tag_web') == ['general'] and hosts(inv, 'proxmox_tag_prod') == ['general'],
      'tags split from a "," string')
check(hosts(inv, 'proxmox_status_unknown') == ['backup', 'qemu-230'], 'status groups; the fresh guest is qemu-230')
check(hv['qemu-230']['homelab_proxmox']['name'] is None and hv['qemu-230']['homelab_proxmox']['status'] == 'unknown',
      'a guest created moments ago: no name, status unknown')
check(hosts(inv, 'proxmox_lxc') == ['dns'] and hv['dns']['ansible_host'] == '10.77.87.40', 'lxc with its address')
gpu1 = hv['k3s-gpu1']
check([g['model'] for g in gpu1['homelab_gpus']] == ['RTX 4070 Ti Super'] and gpu1['homelab_vram_gb'] == 16,
      'raw hostpci0 0000:01:00 -> RTX 4070 Ti Super, 16 GB')
check([g['model'] for g in hv['k3s-gpu2']['homelab_gpus']] == ['RX 7900 XT']
      and hv['k3s-gpu2']['homelab_vram_gb'] == 20,
      'mapping=rx-7900-xt -> RX 7900 XT, 20 GB (the declared board tells Navi 31 apart)')
check(gpu1['homelab_tier'] == 'modern' and 'inference' in gpu1['homelab_roles'], 'a GPU guest is modern and inference')
check(hv['k3s-cp']['homelab_tier'] == 'legacy' and hv['dns']['homelab_tier'] == 'ultralow',
      'tiers like any host: 4 vCPU/8 GB legacy, 0.5 GB ultralow')
check(hosts(inv, 'gpu_nvidia') == ['forge', 'k3s-gpu1']
      and hosts(inv, 'role_inference') == ['forge', 'k3s-gpu1', 'k3s-gpu2'],
      'gpu and role groups include guests with passthrough')
check(gpu1['ansible_host'] == '10.77.87.22' and 'ansible_host' not in hv['k3s-gpu2']
      and 'ansible_host' not in hv['media'],
      'agent address; none just after boot (k3s-gpu2) or with the agent not running (media)')
check(gpu1['homelab_power'] == {'idle_w': 0, 'peak_w': 0, 'estimated': False}, 'guests draw nothing of their own')
check(hv['forge']['homelab_proxmox']['type'] == 'node' and hv['forge']['ansible_host'] == '10.77.87.10',
      'node facts and address from /cluster/status')
check('node pve3 is offline' in err, 'a warning names the offline node')
check('https://127.0.0.1:1' not in err, 'the first URL failing is silent when the second answers')
check(stats['requests'] <= 2 + 1 + 2 + 2 * 9, 'facts: bounded requests (%d)' % stats['requests'])

inv, err, stats = load('plain')
check(stats['requests'] == 2, 'without facts: 2 requests (%d: %s)' % (stats['requests'], sorted(stats['by_path'])))
check(inv['_meta']['hostvars']['k3s-gpu1'].get('homelab_gpus') == [], 'without facts no hostpci is read')

inv, err, stats = load('pve8')
check('permission denied' in err and 'VM.GuestAgent.Audit' in err and 'k3s-cp' not in err,
      'a PVE 8-era token: one warning naming VM.GuestAgent.Audit')
check('ansible_host' not in inv['_meta']['hostvars']['k3s-cp'], 'no agent address without the privilege')

inv, err, stats = load('tls')
check('proxmox_guests' not in inv or not hosts(inv, 'proxmox_guests'), 'TLS verified by default: no CA, no hosts')
check('CERTIFICATE_VERIFY_FAILED' in err or 'certificate verify failed' in err,
      'the warning says the certificate failed')
texts = []
for n in ('facts', 'plain', 'pve8', 'tls'):
    with open(os.path.join(work, n + '.err')) as handle:
        texts.append(handle.read())
check(all('11111111-2222' not in t for t in texts), 'the token secret is never printed')

print('%d passed, %d failed' % (22 + 4 - len(problems), len(problems)))
sys.exit(1 if problems else 0)
