# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SCRAM (RFC 5802, RFC 7677) client side, pure Python (hashlib/hmac), and RFC 5929 tls-server-end-point.

PRIVATE to the homelab.cluster collection; its API may change without notice.

TrueNAS 26 logs API keys in with SCRAM-SHA-512 through ``auth.login_ex``: the username is ``<user>:<key id>``
and the password is the key material after ``<key id>-``. Its nonces are base64 of raw bytes (32 from the
client, the server appends 32 more before encoding), so the combined nonce is checked as a byte prefix as well
as the RFC's string prefix. The digest is a parameter so that the RFC 5802 (SHA-1) and RFC 7677 (SHA-256)
test vectors check the same code that speaks SHA-512.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

CB_TLS_SERVER_END_POINT = 'tls-server-end-point'
# TrueNAS refuses iteration counts outside this range (truenas_scram SCRAM_MIN_ITERS / SCRAM_MAX_ITERS)
MIN_ITERATIONS = 50000
MAX_ITERATIONS = 5000000


class ScramError(ValueError):
    """A SCRAM exchange that cannot go on: a malformed or forged server message."""


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def _unb64(text, what):
    try:
        return base64.b64decode(text.encode('ascii'), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ScramError('%s is not base64: %r' % (what, text)) from None


def saslprep_name(name):
    """The username as SCRAM sends it: NFKC-normalised (RFC 4013's mapping, enough for account names),
    without the characters the TrueNAS parser refuses (',' '=') and without control characters."""
    if not isinstance(name, str) or not name.strip():
        raise ScramError('the username is empty')
    name = unicodedata.normalize('NFKC', name)
    if ',' in name or '=' in name:
        raise ScramError("the username %r contains ',' or '=' (SCRAM cannot send it)" % name)
    if any(unicodedata.category(char) == 'Cc' for char in name):
        raise ScramError('the username %r contains control characters' % name)
    return name


def parse_attributes(message, allowed):
    """'a=1,b=2' -> {'a': '1', 'b': '2'}; refuses unknown, repeated or empty attributes."""
    result = {}
    for part in message.split(','):
        key, sep, value = part.partition('=')
        if not sep or len(key) != 1 or not value:
            raise ScramError('malformed SCRAM message %r' % message)
        if key not in allowed:
            raise ScramError('unexpected attribute %r in SCRAM message %r' % (key, message))
        if key in result:
            raise ScramError('attribute %r repeated in SCRAM message %r' % (key, message))
        result[key] = value
    return result


def keys_from_password(password, salt, iterations, digest='sha512'):
    """(salted_password, client_key, stored_key, server_key) for a password (RFC 5802 section 3)."""
    salted = hashlib.pbkdf2_hmac(digest, password.encode('utf-8'), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', digest).digest()
    stored_key = hashlib.new(digest, client_key).digest()
    server_key = hmac.new(salted, b'Server Key', digest).digest()
    return salted, client_key, stored_key, server_key


class ScramClient:
    """One SCRAM exchange: first() -> the client-first message; final(server_first) -> the client-final
    message; verify(server_final) checks the server's signature (mutual authentication).

    ``channel_binding`` is the tls-server-end-point hash of the server certificate (bytes) or None for an
    unbound exchange (``n,,``). ``nonce`` is for tests (the RFC vectors); by default 32 random bytes.
    """

    def __init__(self, username, password, digest='sha512', channel_binding=None, nonce=None,
                 min_iterations=MIN_ITERATIONS, max_iterations=MAX_ITERATIONS):
        self.username = saslprep_name(username)
        self.password = password
        self.digest = digest
        self.channel_binding = channel_binding
        self.min_iterations = min_iterations
        self.max_iterations = max_iterations
        self._nonce_bytes = None
        if nonce is None:
            self._nonce_bytes = os.urandom(32)
            nonce = _b64(self._nonce_bytes)
        self.nonce = nonce
        self.gs2_header = ('p=%s,,' % CB_TLS_SERVER_END_POINT) if channel_binding else 'n,,'
        self.client_first_bare = 'n=%s,r=%s' % (self.username, self.nonce)
        self._auth_message = None
        self._server_key = None

    def first(self):
        return self.gs2_header + self.client_first_bare

    def _check_nonce(self, combined):
        if combined.startswith(self.nonce) and len(combined) > len(self.nonce):
            return
        if self._nonce_bytes is not None:  # TrueNAS: base64(client bytes + server bytes)
            raw = _unb64(combined, 'the server nonce')
            if raw.startswith(self._nonce_bytes) and len(raw) > len(self._nonce_bytes):
                return
        raise ScramError('the server nonce does not extend ours: the reply was not made for this exchange')

    def final(self, server_first):
        attrs = parse_attributes(server_first, ('r', 's', 'i'))
        if set(attrs) != {'r', 's', 'i'}:
            raise ScramError('the server-first message %r lacks r, s or i' % server_first)
        self._check_nonce(attrs['r'])
        try:
            iterations = int(attrs['i'])
        except ValueError:
            raise ScramError('iteration count %r is not a number' % attrs['i']) from None
        if not self.min_iterations <= iterations <= self.max_iterations:
            raise ScramError('iteration count %d outside [%d, %d]' % (iterations, self.min_iterations,
                                                                      self.max_iterations))
        salt = _unb64(attrs['s'], 'the salt')
        _salted, client_key, stored_key, server_key = keys_from_password(self.password, salt, iterations,
                                                                         self.digest)
        cbind = self.gs2_header.encode('ascii') + (self.channel_binding or b'')
        without_proof = 'c=%s,r=%s' % (_b64(cbind), attrs['r'])
        self._auth_message = ','.join((self.client_first_bare, server_first, without_proof)).encode('utf-8')
        signature = hmac.new(stored_key, self._auth_message, self.digest).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._server_key = server_key
        return '%s,p=%s' % (without_proof, _b64(proof))

    def verify(self, server_final):
        if self._auth_message is None:
            raise ScramError('verify() before final()')
        if server_final.startswith('e='):
            raise ScramError('the server refused the proof: %s' % server_final[2:])
        attrs = parse_attributes(server_final, ('v',))
        expected = hmac.new(self._server_key, self._auth_message, self.digest).digest()
        if not hmac.compare_digest(_unb64(attrs['v'], 'the server signature'), expected):
            raise ScramError('the server signature is wrong: this server does not hold the key (or a '
                             'machine in the middle answered)')
        return True


# -------------------------------------------------------------- RFC 5929 tls-server-end-point

_SIGNATURE_HASH = {
    '1.2.840.113549.1.1.4': 'md5', '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.14': 'sha224',
    '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
    '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.1': 'sha224', '1.2.840.10045.4.3.2': 'sha256',
    '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
}
_RSASSA_PSS = '1.2.840.113549.1.1.10'
_HASH_OID = {
    '1.2.840.113549.2.5': 'md5', '1.3.14.3.2.26': 'sha1', '2.16.840.1.101.3.4.2.4': 'sha224',
    '2.16.840.1.101.3.4.2.1': 'sha256', '2.16.840.1.101.3.4.2.2': 'sha384', '2.16.840.1.101.3.4.2.3': 'sha512',
}


def _tlv(buf, offset):
    """DER: (tag, value start, value end) of the element at offset."""
    if offset + 2 > len(buf):
        raise ScramError('truncated certificate')
    tag, length, pos = buf[offset], buf[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7f
        length = int.from_bytes(buf[pos:pos + count], 'big')
        pos += count
    if pos + length > len(buf):
        raise ScramError('truncated certificate')
    return tag, pos, pos + length


def _oid(data):
    parts = [str(data[0] // 40), str(data[0] % 40)]
    value = 0
    for byte in data[1:]:
        value = (value << 7) | (byte & 0x7f)
        if not byte & 0x80:
            parts.append(str(value))
            value = 0
    return '.'.join(parts)


def _signature_algorithm(cert):
    tag, start, _end = _tlv(cert, 0)
    tag_tbs, _s, after_tbs = _tlv(cert, start)
    tag_alg, alg_start, alg_end = _tlv(cert, after_tbs)
    tag_oid, oid_start, oid_end = _tlv(cert, alg_start)
    if (tag, tag_tbs, tag_alg, tag_oid) != (0x30, 0x30, 0x30, 0x06):
        raise ScramError('not a DER certificate')
    return _oid(cert[oid_start:oid_end]), cert[oid_end:alg_end]


def _pss_hash(params):
    if not params:
        return 'sha1'
    _tag, start, end = _tlv(params, 0)
    if start >= end or params[start] != 0xA0:
        return 'sha1'
    _t, inner, _e = _tlv(params, start)
    _t2, alg, _e2 = _tlv(params, inner)
    _t3, oid_start, oid_end = _tlv(params, alg)
    return _HASH_OID.get(_oid(params[oid_start:oid_end]))


def tls_server_end_point(cert_der):
    """The channel binding of a DER certificate: its hash with the digest of its own signature algorithm,
    MD5 and SHA-1 promoted to SHA-256 (RFC 5929 section 4.1)."""
    cert_der = bytes(cert_der)
    oid, params = _signature_algorithm(cert_der)
    name = _pss_hash(params) if oid == _RSASSA_PSS else _SIGNATURE_HASH.get(oid)
    if name is None:
        raise ScramError('tls-server-end-point is undefined for the signature algorithm %s' % oid)
    if name in ('md5', 'sha1'):
        name = 'sha256'
    return hashlib.new(name, cert_der).digest()


def split_api_key(api_key):
    """'12-abcDEF...' -> (12, 'abcDEF...'): the key id SCRAM names and the material it hashes."""
    key_id, sep, material = (api_key or '').strip().partition('-')
    if not sep or not key_id.isdigit() or not material or not material.isalnum():
        raise ScramError('an API key looks like <id>-<letters and digits> (as TrueNAS shows it once when it '
                         'is created); this one does not')
    return int(key_id), material
