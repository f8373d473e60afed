"""SCRAM against the RFC test vectors (SHA-1: RFC 5802 section 5, SHA-256: RFC 7677 section 3) and, for
SHA-512 as TrueNAS speaks it, against vectors computed with truenas/api_client's py_scram (a0c890a) for the same
inputs: nonce bytes 0..31, server nonce bytes 100..131, salt bytes 200..215, 50000 iterations, key material
'Secret123', user 'homelab', key id 7."""

import base64
import hashlib
import hmac

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import scram

RFC = [
    pytest.param('sha1', 'fyko+d2lbbFgONRv9qkxdawL',
                 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
                 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
                 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=', id='rfc5802-sha1'),
    pytest.param('sha256', 'rOprNGfwEbeRWgbNEkqO',
                 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
                 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,'
                 'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
                 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=', id='rfc7677-sha256'),
]


@pytest.mark.parametrize('digest,nonce,server_first,client_final,server_final', RFC)
def test_rfc_vectors(digest, nonce, server_first, client_final, server_final):
    client = scram.ScramClient('user', 'pencil', digest=digest, nonce=nonce, min_iterations=4096)
    assert client.first() == 'n,,n=user,r=' + nonce
    assert client.final(server_first) == client_final
    assert client.verify(server_final) is True


CLIENT_NONCE = bytes(range(32))
SERVER_FIRST = ('r=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9kZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCgw==,'
                's=yMnKy8zNzs/Q0dLT1NXW1w==,i=50000')


def truenas_client(channel_binding=None):
    client = scram.ScramClient('homelab:7', 'Secret123', channel_binding=channel_binding)
    client._nonce_bytes = CLIENT_NONCE  # what os.urandom would have given
    client.nonce = base64.b64encode(CLIENT_NONCE).decode()
    client.client_first_bare = 'n=homelab:7,r=' + client.nonce
    return client


def test_truenas_sha512_unbound():
    client = truenas_client()
    assert client.first() == 'n,,n=homelab:7,r=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='
    final = client.final(SERVER_FIRST)
    assert final == ('c=biws,r=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9kZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/'
                     'gIGCgw==,p=s1qh/NmN9mKQHwJzAo3bzCKdaSIHKQIGy1fbeSj0FQWQYQr4HAGI8kelCEh4PYrj6dAyZicSiWw2Kz3OtAx+iA==')
    assert client.verify('v=8krUmRe6lbyuZlXkmCjD6ZoY+C6xJbeeEjJ35UEg7xRq0tIjQHTdzeM7s6tEFWClg8dQWevDB3fPfH+B/x0hkw==')


def test_truenas_sha512_channel_bound():
    client = truenas_client(hashlib.sha256(b'not a certificate').digest())
    assert client.first().startswith('p=tls-server-end-point,,n=homelab:7,r=')
    assert client.final(SERVER_FIRST) == (
        'c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsRyCcm3r4Od5p6anNYl6RgsGtY9rnntiKLdaA/jQhhiA=,'
        'r=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9kZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCgw==,'
        'p=02Ug4aS2efPtBMCUcOZkUGeEuWL8dEbLqjm6/iEbo43vz6b94AhgwWSxXkOcVk6J0vYbVUg77kltjkKx5HlS1Q==')


def test_forged_server_signature_is_refused():
    client = truenas_client()
    client.final(SERVER_FIRST)
    forged = 'v=' + base64.b64encode(b'x' * 64).decode()
    with pytest.raises(scram.ScramError, match='signature is wrong'):
        client.verify(forged)


@pytest.mark.parametrize('server_first,match', [
    ('r=AAAA,s=yMnKy8zNzs/Q0dLT1NXW1w==,i=50000', 'does not extend ours'),
    (SERVER_FIRST.replace('i=50000', 'i=4096'), 'outside'),
    (SERVER_FIRST.replace('i=50000', 'i=9000000'), 'outside'),
    (SERVER_FIRST.replace('i=50000', 'i=many'), 'not a number'),
    (SERVER_FIRST.replace(',s=', ',x='), 'unexpected attribute'),
    (SERVER_FIRST + ',i=1', 'repeated'),
    ('r=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9kZWZnaGlqa2xtbm9wcXJzdHV2d3h5ent8fX5/gIGCgw==,i=50000',
     'lacks'),
    ('garbage', 'malformed'),
])
def test_bad_server_first(server_first, match):
    with pytest.raises(scram.ScramError, match=match):
        truenas_client().final(server_first)


def test_server_error_reply():
    client = truenas_client()
    client.final(SERVER_FIRST)
    with pytest.raises(scram.ScramError, match='invalid-proof'):
        client.verify('e=invalid-proof')


def test_random_nonce_is_32_bytes():
    client = scram.ScramClient('u:1', 'k')
    assert len(base64.b64decode(client.nonce)) == 32
    assert client.nonce != scram.ScramClient('u:1', 'k').nonce


@pytest.mark.parametrize('name', ['', ' ', 'a,b', 'a=b', 'a\x07b', None])
def test_bad_usernames(name):
    with pytest.raises(scram.ScramError):
        scram.ScramClient(name, 'k')


def test_keys_from_password_matches_rfc_definitions():
    salted, client_key, stored_key, server_key = scram.keys_from_password('pencil', b'salt', 4096, 'sha512')
    assert salted == hashlib.pbkdf2_hmac('sha512', b'pencil', b'salt', 4096)
    assert client_key == hmac.new(salted, b'Client Key', 'sha512').digest()
    assert stored_key == hashlib.sha512(client_key).digest()
    assert server_key == hmac.new(salted, b'Server Key', 'sha512').digest()


@pytest.mark.parametrize('key,expected', [('7-abcDEF123', (7, 'abcDEF123')), (' 12-x9 ', (12, 'x9'))])
def test_split_api_key(key, expected):
    assert scram.split_api_key(key) == expected


@pytest.mark.parametrize('key', ['', 'abc', '7-', '-abc', 'x-abc', '7-ab-c', '7-ab c', None])
def test_split_api_key_refuses(key):
    with pytest.raises(scram.ScramError, match='<id>-'):
        scram.split_api_key(key)


def _der(tag, body):
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(size)]) + size + body


def _cert(oid_bytes, params=b''):
    algorithm = _der(0x30, _der(0x06, oid_bytes) + params)
    return _der(0x30, _der(0x30, b'\x02\x01\x01' * 60) + algorithm + _der(0x03, b'\x00sig'))


SHA256_RSA = bytes.fromhex('2a864886f70d01010b')
SHA384_ECDSA = bytes.fromhex('2a8648ce3d040303')
SHA1_RSA = bytes.fromhex('2a864886f70d010105')
ED25519 = bytes.fromhex('2b6570')
PSS = bytes.fromhex('2a864886f70d01010a')
SHA512_OID = bytes.fromhex('608648016503040203')


@pytest.mark.parametrize('oid,params,digest', [
    (SHA256_RSA, b'\x05\x00', 'sha256'),
    (SHA384_ECDSA, b'', 'sha384'),
    (SHA1_RSA, b'\x05\x00', 'sha256'),  # SHA-1 promoted (RFC 5929 4.1)
    (PSS, _der(0x30, _der(0xA0, _der(0x30, _der(0x06, SHA512_OID)))), 'sha512'),
    (PSS, b'', 'sha256'),  # PSS with default (SHA-1) parameters, promoted
])
def test_tls_server_end_point(oid, params, digest):
    cert = _cert(oid, params)
    assert scram.tls_server_end_point(cert) == hashlib.new(digest, cert).digest()


def test_tls_server_end_point_refuses_eddsa_and_garbage():
    with pytest.raises(scram.ScramError, match='undefined'):
        scram.tls_server_end_point(_cert(ED25519))
    with pytest.raises(scram.ScramError):
        scram.tls_server_end_point(b'\x30\x05\x01')
