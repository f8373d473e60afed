# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wake-on-LAN logic without I/O: MAC and SecureOn parsing, magic packets, the sender's choice of broadcast
address, the readiness poll schedule and the wake-storm guard.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

MAGIC_PREFIX = b'\xff' * 6
MAGIC_REPEAT = 16
_HEX12 = re.compile(r'^[0-9a-fA-F]{12}$')


class WakeError(ValueError):
    """An input the wake logic cannot work with; the message names the field and the value."""


def parse_mac(value, field='mac'):
    """'a8:a1:59:00:00:01', 'a8-a1-59-00-00-01', 'a8a1.5900.0001' or 'a8a159000001' -> 6 bytes."""
    text = str(value).strip()
    digits = re.sub(r'[:\-.]', '', text)
    if not _HEX12.match(digits):
        raise WakeError('%s: %r is not a MAC address (expected six hex pairs like a8:a1:59:00:00:01)'
                        % (field, value))
    if digits != text and not re.match(r'^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$'
                                       r'|^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$', text):
        raise WakeError('%s: %r mixes separators; use a8:a1:59:00:00:01' % (field, value))
    return bytes.fromhex(digits)


def format_mac(raw):
    return ':'.join('%02x' % b for b in bytearray(raw))


def parse_secureon(value):
    """A SecureOn password: 6 bytes written like a MAC (the NIC compares them after the 16 repetitions)."""
    if value is None or value == '':
        return b''
    try:
        return parse_mac(value, field='secureon')
    except WakeError:
        # never echo a password back
        raise WakeError('secureon: not a SecureOn password (expected six hex pairs like 01:23:45:67:89:ab)') from None


def magic_packet(mac, secureon=None):
    """6 x 0xFF, the MAC 16 times, then the SecureOn password when given (102 or 108 bytes)."""
    return MAGIC_PREFIX + parse_mac(mac) * MAGIC_REPEAT + parse_secureon(secureon)


def choose_destination(target, interfaces, broadcast=None, interface=None):
    """Where the sender puts the packet: (destination IP, source IP or None, explanation).

    target: the sleeping host's IPv4 address (or None when only a broadcast is given)
    interfaces: the sender's IPv4 interfaces as [{'name', 'address', 'netmask'}]
    broadcast: an explicit destination (a directed broadcast or a unicast address); used as given
    interface: send out of this interface (its directed broadcast, from its address)

    The limited broadcast 255.255.255.255 is never chosen here: it leaves by the default route's interface,
    which on a multi-homed relay is rarely the sleeping host's network.
    """
    nets = []
    for item in interfaces:
        try:
            iface = ipaddress.ip_interface('%s/%s' % (item['address'], item['netmask']))
        except ValueError:
            continue
        if iface.ip.is_loopback:
            continue
        nets.append((item['name'], iface))
    if broadcast:
        try:
            ipaddress.ip_address(broadcast)
        except ValueError:
            raise WakeError('broadcast: %r is not an IPv4 address' % (broadcast,)) from None
        source = None
        if interface:
            source = _interface(nets, interface)[1].ip
        return str(broadcast), str(source) if source else None, 'to %s as given' % broadcast
    if interface:
        name, iface = _interface(nets, interface)
        return (str(iface.network.broadcast_address), str(iface.ip),
                'directed broadcast of %s (%s)' % (name, iface.with_prefixlen))
    if not target:
        raise WakeError('nothing to send to: give address (the host), broadcast or interface')
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        raise WakeError('address: %r is not an IPv4 address' % (target,)) from None
    for name, iface in nets:
        if address in iface.network:
            return (str(iface.network.broadcast_address), str(iface.ip),
                    'directed broadcast of %s (%s), the network of %s' % (name, iface.with_prefixlen, target))
    raise WakeError('no interface of the sender is on the network of %s (sender has: %s); run it on a host of '
                    'that network (a relay, see playbooks/wake.yml) or give broadcast= or interface='
                    % (target, ', '.join('%s %s' % (n, i.with_prefixlen) for n, i in nets) or 'none'))


def _interface(nets, wanted):
    for name, iface in nets:
        if name == wanted:
            return name, iface
    raise WakeError('interface: %r has no IPv4 address on the sender (it has: %s)'
                    % (wanted, ', '.join(sorted({n for n, _i in nets})) or 'none'))


def poll_delays(first=0.05, factor=1.6, cap=0.5):
    """Short, growing pauses between readiness probes: 0.05, 0.08, 0.13 ... then every 0.5 s, so that an
    open port is seen within about half a second of opening however long the boot took."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * factor)


def default_timeout(boot_s):
    """How long to wait for readiness when no timeout is given: twice the declared boot time, at least 30 s."""
    return max(30, 2 * int(boot_s or 0))


# ---------------------------------------------------------------------------------------------- storm guard

def new_history():
    # last_sleep: when a poweroff was confirmed on purpose (state=down: sleep_idle, the power guard); the house
    # collector of homelab.cluster.monitoring reads it to tell a host asleep by design from one that went down
    return {'wakes': [], 'last_up': None, 'last_down': None, 'last_sleep': None}


def clean_history(history, now, window_s):
    """A history read from the state file, validated and with wakes older than the window dropped."""
    out = new_history()
    if isinstance(history, dict):
        wakes = history.get('wakes')
        if isinstance(wakes, list):
            out['wakes'] = sorted(float(t) for t in wakes if isinstance(t, (int, float)) and now - t < window_s)
        for key in ('last_up', 'last_down', 'last_sleep'):
            if isinstance(history.get(key), (int, float)):
                out[key] = float(history[key])
    return out


def storm_check(history, now, max_wakes, window_s, min_off_s, name='the host'):
    """None when a wake may go out now, else the refusal (a sentence saying what to do).

    history: clean_history() output, read before this call's own probe is recorded. The host went down at
    last_down (recorded by a `state: down` confirmation) or, when it answered again after that or nothing
    saw it go, some time after last_up: the later of the two is used, which errs on the safe side.
    """
    recent = [t for t in history['wakes'] if now - t < window_s]
    if max_wakes is not None and len(recent) >= max_wakes:
        retry = recent[0] + window_s - now
        return ('%s was woken %d times in the last %s (max_wakes=%d, window_s=%d); refusing another wake to '
                'protect the hardware; next allowed in %s, or use force=true'
                % (name, len(recent), _duration(window_s), max_wakes, window_s, _duration(retry)))
    known = [t for t in (history['last_down'], history['last_up']) if t is not None]
    went_down = max(known) if known else None
    if min_off_s and went_down is not None and now - went_down < min_off_s:
        seen = 'went down' if went_down == history['last_down'] else 'was last seen up'
        return ('%s %s %s ago; min_off_s=%d asks for at least %s off before the next power-on; next allowed in '
                '%s, or use force=true' % (name, seen, _duration(now - went_down), min_off_s,
                                           _duration(min_off_s), _duration(went_down + min_off_s - now)))
    return None


def record_wake(history, now):
    return dict(history, wakes=list(history['wakes']) + [now])


def record_sleep(history, now):
    """Remember a poweroff confirmed on purpose (``state: down``), apart from a probe that merely saw it down."""
    return dict(history, last_sleep=now)


def record_state(history, now, up):
    """Remember what a probe saw: when it was up, and when it was first seen down after being up."""
    out = dict(history)
    if up:
        out['last_up'] = now
    elif out.get('last_up') is not None and (out.get('last_down') is None or out['last_down'] < out['last_up']):
        out['last_down'] = now
    return out


def _duration(seconds):
    seconds = max(0, int(round(seconds)))
    if seconds < 120:
        return '%d s' % seconds
    if seconds < 7200:
        return '%d min' % round(seconds / 60.0)
    return '%.1f h' % (seconds / 3600.0)
