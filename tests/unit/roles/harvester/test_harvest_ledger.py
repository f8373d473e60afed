"""roles/harvester/files/harvest_ledger.py: published checksums, the officer's verdict, archive paths, edge states."""

import time

import harvest_ledger as ledger
import pytest

A, B = 'a' * 64, 'b' * 64


def test_checksum_files():
    text = ('# SHA256SUMS\n%s  wiki.zim\n%s *./docs/python.tar.xz\nSHA256 (feed.xml) = %s\n'
            'MD5 (wiki.zim) = 0123\nnot a line\n\n' % (A, B, A.upper()))
    sums = ledger.parse_checksums(text)
    assert sums == {'wiki.zim': A, './docs/python.tar.xz': B, 'feed.xml': A}
    assert ledger.published_digest(sums, 'wiki.zim') == A
    assert ledger.published_digest(sums, 'python.tar.xz') == B
    assert ledger.published_digest(sums, 'other') is None
    # two different digests for the same base name prove nothing
    assert ledger.published_digest({'a/x': A, 'b/x': B}, 'x') is None
    assert ledger.published_digest({'a/x': A, 'b/x': A}, 'x') == A


ENTRY = {'name': 'wiki', 'url': 'http://h/wiki.zim', 'filename': 'wiki.zim', 'dataset': 'wiki', 'refresh_s': 0,
         'size': None, 'sha256': None, 'checksum_url': None, 'checksum_name': 'wiki.zim', 'allow_unverified': False}


@pytest.mark.parametrize('over, size, sha, published, expected', [
    ({'sha256': A}, 10, A, None, ('promote', None, 'sha256')),
    ({'sha256': A}, 10, B, None, ('reject', 'SHA-256 %s, the catalogue says %s' % (B, A), None)),
    ({'sha256': A, 'size': 11}, 10, A, None, ('reject', 'size 10, the catalogue says 11', None)),
    ({'checksum_url': 'http://h/SUMS'}, 10, A, {'wiki.zim': A}, ('promote', None, 'published')),
    ({'checksum_url': 'http://h/SUMS'}, 10, B, {'wiki.zim': A},
     ('reject', 'SHA-256 %s, http://h/SUMS publishes %s' % (B, A), None)),
    ({'checksum_url': 'http://h/SUMS'}, 10, A, None,
     ('wait', 'the published checksum file http://h/SUMS could not be read yet', None)),
    ({'checksum_url': 'http://h/SUMS'}, 10, A, {'other': A},
     ('wait', 'http://h/SUMS does not list wiki.zim yet', None)),
    ({'allow_unverified': True}, 10, A, None, ('promote', None, 'unverified')),
    ({}, 10, A, None, ('reject', 'no sha256 or checksum_url to prove it against', None)),
    # the catalogue's own hash wins over a published file
    ({'sha256': A, 'checksum_url': 'http://h/SUMS'}, 10, A, {'wiki.zim': B}, ('promote', None, 'sha256')),
])
def test_verdict(over, size, sha, published, expected):
    assert ledger.verdict(dict(ENTRY, **over), size, sha, published) == expected


def test_archive_paths():
    when = time.gmtime(1796083157)
    assert ledger.archive_path(ENTRY, when) == 'wiki/wiki.zim'
    feed = dict(ENTRY, name='feed', filename='feed.xml', dataset='feeds/news', refresh_s=3600)
    assert ledger.archive_path(feed, when) == 'feeds/news/feed/20261130T235917Z-feed.xml'


def test_records():
    record = ledger.manifest_record(ENTRY, 'pi5', 10, A, 'wiki/wiki.zim', 'published', 1.5, 2.5, 3.5)
    assert record == {'sha256': A, 'size': 10, 'name': 'wiki', 'url': 'http://h/wiki.zim', 'dataset': 'wiki',
                      'path': 'wiki/wiki.zim', 'host': 'pi5', 'verified': 'published', 'fetched_at': 1,
                      'received_at': 2, 'promoted_at': 3}
    older = dict(record, promoted_at=1)
    newer = dict(record, sha256=B, promoted_at=9)
    assert ledger.by_hash([record, older, newer]) == {A: record, B: newer}
    assert ledger.latest_by_name([record, newer, older]) == {'wiki': newer}
    assert ledger.rejection_record(None, 'pi5', 3, A, 'why', None, 7.9) == {
        'sha256': A, 'size': 3, 'name': None, 'host': 'pi5', 'reason': 'why', 'kept': None, 'at': 7}


@pytest.mark.parametrize('report, received, now, state, detail', [
    (None, 0, 100, 'unknown', 'no report from this host yet'),
    ({'state': 'downloading', 'detail': 'fetching wiki'}, 100, 125, 'downloading', 'fetching wiki'),
    ({'state': 'downloading'}, 100, 131, 'silent', 'no report for 31 s while downloading'),
    ({'state': 'backing off'}, 100, 400, 'silent', 'no report for 5 min 00 s while backing off'),
    ({'state': 'backing off', 'quiet_s': 240}, 100, 350, 'backing off', ''),
    ({'state': 'backing off', 'quiet_s': 240}, 100, 370, 'silent', 'no report for 4 min 30 s while backing off'),
    ({'state': 'waiting', 'window_opens_in_s': 3600}, 100, 3000, 'waiting', ''),
    ({'state': 'waiting', 'window_opens_in_s': 3600}, 100, 3800, 'silent', 'its window opened 1 min 40 s ago'),
    ({'state': 'idle'}, 100, 10 ** 6, 'idle', ''),
    ({'state': 'failed', 'detail': 'gave up'}, 100, 10 ** 6, 'failed', 'gave up'),
    ({'state': 'exploded'}, 100, 101, 'unknown', ''),
])
def test_edge_state(report, received, now, state, detail):
    out = ledger.edge_state(report, received, now, 10)
    assert out['state'] == state
    assert detail in out['detail']


@pytest.mark.parametrize('seconds, text', [
    (5, '5 s'), (65, '1 min 05 s'), (3720, '1 h 02 min'), (90000, '1 d 1 h'),
])
def test_duration(seconds, text):
    assert ledger.duration(seconds) == text


@pytest.mark.parametrize('count, text', [
    (None, '-'), (0, '0 B'), (1023, '1023 B'), (1536, '1.5 KiB'), (300 << 20, '300.0 MiB'), (5 << 40, '5.0 TiB'),
    (5 << 50, '5120.0 TiB'),
])
def test_human_bytes(count, text):
    assert ledger.human_bytes(count) == text
