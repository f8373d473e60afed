"""Magic packets as the lab power controller reads them (lab only; the collection builds them in _wol.py).

A Wake-on-LAN magic packet is six 0xff bytes, the target's MAC sixteen times, and an optional six-byte
SecureOn password. It may sit inside a larger payload (an ethertype 0x0842 frame, say), so the sync stream is
searched for.
"""

SYNC = b'\xff' * 6
REPEAT = 16


def parse_magic(payload):
    """(mac as aa:bb:cc:dd:ee:ff, secureon bytes) when payload holds a magic packet, else None."""
    start = payload.find(SYNC)
    while start != -1:
        body = payload[start + 6:]
        mac = body[:6]
        if len(mac) == 6 and body[:6 * REPEAT] == mac * REPEAT:
            rest = body[6 * REPEAT:]
            return ':'.join('%02x' % byte for byte in mac), bytes(rest[:6]) if len(rest) >= 6 else b''
        start = payload.find(SYNC, start + 1)
    return None
