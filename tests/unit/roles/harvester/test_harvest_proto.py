"""roles/harvester/files/harvest_proto.py: signing, the replay guard, resume decisions, window, backoff, pacing."""

import hashlib
import hmac

import harvest_proto as proto
import pytest

KEY = bytes.fromhex('11' * 32)
BODY_SHA = proto.sha256_hex(b'{}')
NONCE = '0123456789abcdef0123456789abcdef'


def headers(**over):
    signed = proto.signed_headers(KEY, 'POST', '/v1/offer', 'pi5', 1000, NONCE, BODY_SHA)
    out = {k.lower(): v for k, v in signed.items()}
    out.update(over)
    return out


def guard():
    return proto.ReplayGuard(skew_s=300, not_before=900)


# ------------------------------------------------------------------------------------------- signing

def test_canonical_form_is_fixed():
    assert proto.canonical('post', '/v1/offer', 'pi5', 1000.7, NONCE, BODY_SHA) == (
        b'HARVEST1\nPOST\n/v1/offer\npi5\n1000\n' + NONCE.encode() + b'\n' + BODY_SHA.encode())
    # HMAC-SHA256 over exactly those bytes, as any client (the shell worker) computes it
    expected = hmac.new(KEY, proto.canonical('POST', '/v1/offer', 'pi5', 1000, NONCE, BODY_SHA), hashlib.sha256)
    assert proto.sign(KEY, 'POST', '/v1/offer', 'pi5', 1000, NONCE, BODY_SHA) == expected.hexdigest()


def test_a_good_request_is_accepted_once():
    g = guard()
    assert proto.verify(headers(), 'POST', '/v1/offer', BODY_SHA, {'pi5': KEY}, g, 1010) == 'pi5'
    with pytest.raises(proto.SignalError, match='already used: replay refused') as err:
        proto.verify(headers(), 'POST', '/v1/offer', BODY_SHA, {'pi5': KEY}, g, 1011)
    assert err.value.status == 401


@pytest.mark.parametrize('change, now, message, status', [
    ({'x-harvest-signature': '0' * 64}, 1010, 'bad signature for pi5', 401),
    ({'x-harvest-host': 'penny'}, 1010, "unknown host 'penny'", 403),
    ({'x-harvest-time': 'soon'}, 1010, "X-Harvest-Time: expected unix seconds, got 'soon'", 401),
    ({'x-harvest-nonce': 'short'}, 1010, 'X-Harvest-Nonce: expected at least 16 hex digits', 401),
    ({'x-harvest-nonce': ''}, 1010, 'missing header X-Harvest-Nonce', 401),
    ({}, 1400, 'time 1000 is -400 s from the officer\'s clock (more than 300 s): stale or replayed', 401),
    ({}, 600, 'more than 300 s', 401),
])
def test_refusals(change, now, message, status):
    with pytest.raises(proto.SignalError) as err:
        proto.verify(headers(**change), 'POST', '/v1/offer', BODY_SHA, {'pi5': KEY}, guard(), now)
    assert message in err.value.reason
    assert err.value.status == status


def test_the_body_the_path_and_the_method_are_signed():
    with pytest.raises(proto.SignalError, match='does not match X-Harvest-Content-SHA256'):
        proto.verify(headers(), 'POST', '/v1/offer', proto.sha256_hex(b'{"x": 1}'), {'pi5': KEY}, guard(), 1010)
    with pytest.raises(proto.SignalError, match='bad signature'):
        proto.verify(headers(), 'POST', '/v1/status', BODY_SHA, {'pi5': KEY}, guard(), 1010)
    with pytest.raises(proto.SignalError, match='bad signature'):
        proto.verify(headers(), 'PUT', '/v1/offer', BODY_SHA, {'pi5': KEY}, guard(), 1010)
    with pytest.raises(proto.SignalError, match='bad signature'):
        proto.verify(headers(), 'POST', '/v1/offer', BODY_SHA, {'pi5': bytes(32)}, guard(), 1010)


def test_an_upload_is_checked_against_its_claim_later():
    signed = proto.signed_headers(KEY, 'PUT', '/v1/upload/%s?offset=0' % ('ab' * 32), 'pi5', 1000, NONCE, 'ab' * 32)
    h = {k.lower(): v for k, v in signed.items()}
    assert proto.verify(h, 'PUT', '/v1/upload/%s?offset=0' % ('ab' * 32), None, {'pi5': KEY}, guard(), 1000) == 'pi5'
    with pytest.raises(proto.SignalError, match='bad signature'):
        proto.verify(h, 'PUT', '/v1/upload/%s?offset=9' % ('ab' * 32), None, {'pi5': KEY}, guard(), 1000)


def test_a_restarted_officer_refuses_what_was_signed_before_it_started():
    with pytest.raises(proto.SignalError, match='before the officer started'):
        proto.verify(headers(), 'POST', '/v1/offer', BODY_SHA, {'pi5': KEY}, proto.ReplayGuard(300, 1002), 1010)
    # one second of clock skew is tolerated
    assert proto.verify(headers(), 'POST', '/v1/offer', BODY_SHA, {'pi5': KEY}, proto.ReplayGuard(300, 1001), 1010)


def test_old_nonces_are_forgotten_after_the_window():
    g = guard()
    g.check('pi5', 1000, NONCE, 1000)
    g.check('pi5', 1500, 'ff' * 16, 1500)
    assert list(g.seen) == ['pi5 ' + 'ff' * 16]
    # the same nonce from another host is another request
    g.check('penny', 1500, 'ff' * 16, 1500)


# -------------------------------------------------------------------------------------- resuming

@pytest.mark.parametrize('etag, modified, validator', [
    ('"abc"', 'Tue, 01 Dec 2026 00:00:00 GMT', '"abc"'),
    ('W/"abc"', 'Tue, 01 Dec 2026 00:00:00 GMT', 'Tue, 01 Dec 2026 00:00:00 GMT'),
    ('W/"abc"', None, None),
    (None, None, None),
])
def test_if_range_validator(etag, modified, validator):
    assert proto.if_range_validator(etag, modified) == validator


def test_request_headers():
    assert proto.request_headers(0, '"a"') == {}
    assert proto.request_headers(100, None) == {}
    assert proto.request_headers(100, '"a"') == {'Range': 'bytes=100-', 'If-Range': '"a"'}


@pytest.mark.parametrize('status, head, committed, expected', [
    (206, {'content-range': 'bytes 100-199/200'}, 100, ('append', 200, None)),
    (206, {'content-range': 'bytes 100-199/*'}, 100, ('append', None, None)),
    (206, {'content-range': 'bytes 0-199/200'}, 100, ('restart', 200, '206 from byte 0, expected 100')),
    (206, {}, 100, ('restart', None, '206 without a usable Content-Range')),
    (200, {'content-length': '300', 'etag': '"new"'}, 0, ('restart', 300, None)),
    (200, {'content-length': '300', 'etag': '"new"'}, 100,
     ('restart', 300, 'the source answered 200 to a resume from byte 100 (it changed): starting again from 0')),
    (200, {}, 100, ('restart', None, 'the source answered 200 to a resume from byte 100 (no Range): starting again '
                                     'from 0')),
    (416, {'content-range': 'bytes */200'}, 200, ('complete', 200, None)),
    (416, {'content-range': 'bytes */150'}, 200, ('restart', None, '416 at byte 200: the source is shorter now')),
    (304, {}, 0, ('unchanged', None, None)),
    (503, {'retry-after': '120'}, 0, ('retry', 120, 'HTTP 503')),
    (429, {'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT'}, 0, ('retry', None, 'HTTP 429')),
    (408, {}, 0, ('retry', None, 'HTTP 408')),
    (404, {}, 0, ('fail', None, 'HTTP 404')),
    (403, {}, 0, ('fail', None, 'HTTP 403')),
])
def test_plan_response(status, head, committed, expected):
    assert proto.plan_response(status, head, committed) == expected


# -------------------------------------------------------------------------------------- pacing etc.

@pytest.mark.parametrize('attempt, jitter, expected', [
    (1, 0, 10), (2, 0, 20), (3, 0, 40), (7, 0, 600), (30, 0, 600), (1, 0.999, 12.4975), (0, 0, 10),
])
def test_backoff(attempt, jitter, expected):
    assert proto.backoff_s(attempt, 10, 600, jitter) == pytest.approx(expected)


@pytest.mark.parametrize('sent, elapsed, rate, expected', [
    (1000, 0.5, 1000, 0.5), (1000, 2.0, 1000, 0.0), (10 ** 9, 0, 0, 0.0),
])
def test_pace(sent, elapsed, rate, expected):
    assert proto.pace_s(sent, elapsed, rate) == pytest.approx(expected)


def test_rate_and_eta():
    assert proto.ewma(None, 10.0) == 10.0
    assert proto.ewma(10.0, 20.0, 0.5) == 15.0
    assert proto.eta_s(1000, 500, 100.0) == 6
    assert proto.eta_s(None, 500, 100.0) is None
    assert proto.eta_s(1000, 1000, 100.0) is None
    assert proto.eta_s(1000, 0, 0) is None


DAILY = {'always': False, 'start_s': 3600, 'duration_s': 18000, 'days': list(range(7))}
NIGHT = {'always': False, 'start_s': 22 * 3600, 'duration_s': 8 * 3600, 'days': [4]}  # Fri 22:00 - Sat 06:00


@pytest.mark.parametrize('window, weekday, second, expected', [
    (None, 0, 0, (True, None, None)),
    ({'always': True}, 3, 500, (True, None, None)),
    (DAILY, 0, 3600, (True, 18000, None)),
    (DAILY, 0, 3599, (False, None, 1)),
    (DAILY, 0, 21599, (True, 1, None)),
    (DAILY, 0, 21600, (False, None, 86400 - 21600 + 3600)),
    (NIGHT, 4, 23 * 3600, (True, 7 * 3600, None)),
    (NIGHT, 5, 5 * 3600, (True, 3600, None)),          # the window that opened Friday, still open Saturday
    (NIGHT, 5, 6 * 3600, (False, None, 6 * 86400 + 16 * 3600)),
    (NIGHT, 3, 22 * 3600, (False, None, 86400)),
    (NIGHT, 4, 21 * 3600, (False, None, 3600)),
    ({'always': False, 'start_s': 0, 'duration_s': 10, 'days': []}, 0, 50, (False, None, None)),
])
def test_in_window(window, weekday, second, expected):
    assert proto.in_window(window, weekday, second) == expected


@pytest.mark.parametrize('state, refresh, now, expected', [
    (None, 0, 0, True),
    ({'status': 'downloading'}, 0, 0, True),
    ({'status': 'archived', 'archived_at': 100}, 0, 10 ** 9, False),
    ({'status': 'archived', 'archived_at': 100}, 3600, 3699, False),
    ({'status': 'archived', 'archived_at': 100}, 3600, 3700, True),
])
def test_due(state, refresh, now, expected):
    assert proto.due(state, refresh, now) is expected
