"""The lab power controller's magic-packet reader (lab/magic.py) against the packets the wake module builds."""

import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _wol

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'lab'))
from magic import parse_magic  # noqa: E402  (lab code, not part of the collection)

MAC = 'a8:a1:59:00:00:01'
RAW = bytes.fromhex('a8a159000001')


@pytest.mark.parametrize('payload, expected', [
    (_wol.magic_packet(MAC), (MAC, b'')),
    (_wol.magic_packet(MAC, '01:23:45:67:89:ab'), (MAC, bytes.fromhex('0123456789ab'))),
    (b'\x00\x01junk' + _wol.magic_packet(MAC), (MAC, b'')),       # inside an ethertype 0x0842 frame, say
    (b'\xff' * 7 + RAW * 16, (MAC, b'')),                          # a 0xff before the sync stream
    (b'\xff' * 6 + RAW * 15, None),
    (b'\xff' * 6 + RAW * 15 + bytes.fromhex('a8a159000002'), None),
    (b'hello', None),
])
def test_parse_magic(payload, expected):
    assert parse_magic(payload) == expected
