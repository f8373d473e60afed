# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pools: disks, layout, the safety check and the scrub schedule (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

pool.create refuses only disks of an IMPORTED pool (truenas/middleware disk_/availability.py
check_disks_availability); it formats disks that carry an exported pool or other partitions without asking.
disk_problems() is the check that protects them: it refuses any disk that holds something unless forced.
"""

from __future__ import annotations

LAYOUTS = {'stripe': 1, 'mirror': 2, 'raidz1': 3, 'raidz2': 4, 'raidz3': 5}
PARITY = {'stripe': 0, 'raidz1': 1, 'raidz2': 2, 'raidz3': 3}
CRON_KEYS = ('minute', 'hour', 'dom', 'month', 'dow')


class PoolError(ValueError):
    """A pool request that cannot be carried out; the message says which disk or field and why."""


def resolve_disks(wanted, details, where='disks'):
    """Names or serial numbers -> disk names, from disk.details {used, unused} (both lists)."""
    rows = list(details.get('used') or []) + list(details.get('unused') or [])
    by_name = {row['name']: row for row in rows}
    by_serial = {row.get('serial'): row for row in rows if row.get('serial')}
    names, missing = [], []
    for item in wanted:
        key = str(item).strip()
        if key.startswith('/dev/'):
            key = key[len('/dev/'):]
        row = by_name.get(key) or by_serial.get(key)
        if row is None:
            missing.append(str(item))
        else:
            names.append(row['name'])
    if missing:
        raise PoolError('%s: no disk named (or with the serial) %s on the NAS; it has %s'
                        % (where, ', '.join(missing), ', '.join(sorted(by_name)) or 'none'))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PoolError('%s: %s given twice' % (where, ', '.join(duplicates)))
    return names, by_name


def disk_problems(names, by_name, force=False):
    """What each disk holds: messages for disks in an imported pool (always refused) and, unless forced,
    disks with an exported pool or partitions."""
    refused, held = [], []
    for name in names:
        row = by_name[name]
        if row.get('imported_zpool'):
            refused.append('%s is part of the imported pool %s' % (name, row['imported_zpool']))
        elif row.get('exported_zpool'):
            held.append('%s holds the exported pool %s (import it, or export and wipe it first)'
                        % (name, row['exported_zpool']))
        elif row.get('partitions'):
            held.append('%s has %d partition(s) (%s): it may hold data'
                        % (name, len(row['partitions']),
                           ', '.join(p.get('name', '?') for p in row['partitions'])))
    if not force:
        refused.extend(held)
        held = []
    return refused, held


def topology(layout, names, vdev_width=None, spares=()):
    """pool.create's topology: the disks split into vdevs of vdev_width (default: one vdev)."""
    layout = layout.lower()
    if layout not in LAYOUTS:
        raise PoolError('layout: expected one of %s, got %r' % (', '.join(LAYOUTS), layout))
    width = vdev_width or len(names)
    if not names:
        raise PoolError('disks: a pool needs disks')
    if len(names) % width:
        raise PoolError('vdev_width: %d disks do not split into vdevs of %d' % (len(names), width))
    if width < LAYOUTS[layout]:
        raise PoolError('%s needs at least %d disks per vdev, got %d' % (layout, LAYOUTS[layout], width))
    vdevs = [{'type': layout.upper(), 'disks': list(names[i:i + width])} for i in range(0, len(names), width)]
    return {'data': vdevs, 'spares': list(spares)}


def usable_bytes(layout, names, by_name, vdev_width=None):
    """Space before ZFS overhead: data disks x the smallest disk of each vdev."""
    layout = layout.lower()
    width = vdev_width or len(names)
    total = 0
    for start in range(0, len(names), width):
        vdev = names[start:start + width]
        smallest = min(int(by_name[name].get('size') or 0) for name in vdev)
        data = 1 if layout == 'mirror' else len(vdev) - PARITY[layout]
        total += smallest * data
    return total


def layout_of(pool):
    """A pool.query entry -> {layout, vdevs, disks} of its data vdevs."""
    data = ((pool.get('topology') or {}).get('data')) or []
    types = sorted({str(vdev.get('type', '')).lower() for vdev in data})
    disks = []
    for vdev in data:
        children = vdev.get('children') or []
        if vdev.get('type') == 'DISK':
            disks.append(vdev.get('disk'))
        disks.extend(child.get('disk') for child in children if child.get('disk'))
    layout = types[0] if len(types) == 1 else '+'.join(types)
    return {'layout': 'stripe' if layout == 'disk' else layout, 'vdevs': len(data), 'disks': disks}


def summary(pool):
    found = layout_of(pool)
    scan = pool.get('scan') or {}
    return {'name': pool.get('name'), 'status': pool.get('status'), 'healthy': pool.get('healthy'),
            'warning': pool.get('warning'), 'status_detail': pool.get('status_detail'), 'layout': found['layout'],
            'vdevs': found['vdevs'], 'disks': found['disks'], 'size': pool.get('size'), 'free': pool.get('free'),
            'allocated': pool.get('allocated'), 'fragmentation': pool.get('fragmentation'),
            'last_scan': {'function': scan.get('function'), 'state': scan.get('state'),
                          'end_time': scan.get('end_time'), 'errors': scan.get('errors')} if scan else None}


def layout_drift(pool, layout, names, vdev_width=None):
    """An existing pool against the layout asked for: a warning (pools are never rebuilt), or None."""
    found = layout_of(pool)
    width = vdev_width or len(names)
    want_vdevs = len(names) // width if width else 0
    if found['layout'] != layout.lower() or found['vdevs'] != want_vdevs or sorted(found['disks']) != sorted(names):
        return ('pool %s exists as %s (%d vdev(s) on %s), not %s on %s; a pool is never rebuilt by this module'
                % (pool.get('name'), found['layout'], found['vdevs'], ', '.join(found['disks']) or '?',
                   layout.lower(), ', '.join(names)))
    return None


def scrub_desired(scrub):
    """The module's scrub option -> the API's fields (only those given)."""
    if scrub is None:
        return None
    desired = {}
    for key in ('enabled', 'threshold', 'description'):
        if scrub.get(key) is not None:
            desired[key] = scrub[key]
    schedule = scrub.get('schedule')
    if schedule:
        unknown = sorted(set(schedule) - set(CRON_KEYS))
        if unknown:
            raise PoolError('scrub.schedule: unknown key(s) %s (minute, hour, dom, month, dow)' % ', '.join(unknown))
        desired['schedule'] = {key: str(value) for key, value in schedule.items() if value is not None}
    if 'threshold' in desired and (not isinstance(desired['threshold'], int) or desired['threshold'] < 0):
        raise PoolError('scrub.threshold: expected whole days >= 0, got %r' % (desired['threshold'],))
    return desired


def cron_equal(have, want):
    """'00' == '0', '7' == 'sun' is not assumed: numbers compare as numbers, anything else as text."""
    have, want = str(have), str(want)
    if have.isdigit() and want.isdigit():
        return int(have) == int(want)
    return have.lower() == want.lower()


def schedule_differs(have, want, keys):
    return any(not cron_equal((have or {}).get(key, '*'), want[key]) for key in keys if key in want)


def scrub_update(current, desired):
    """{field: value} of a pool.scrub.update that brings current to desired; {} when equal."""
    update = {}
    for key, value in desired.items():
        if key == 'schedule':
            have = current.get('schedule') or {}
            if schedule_differs(have, value, CRON_KEYS):
                update['schedule'] = {k: str(have.get(k, '*')) for k in CRON_KEYS}
                update['schedule'].update(value)
        elif current.get(key) != value:
            update[key] = value
    return update
