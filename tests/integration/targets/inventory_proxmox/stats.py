"""Read (or with 'reset', zero) the PVE API double's request counts: stats.py PORT [reset]."""
import json
import ssl
import sys
import urllib.request

context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the double's own counter endpoint on loopback, not the API under test
reset = len(sys.argv) > 2 and sys.argv[2] == 'reset'
url = 'https://127.0.0.1:%s/__double/%s' % (sys.argv[1], 'reset' if reset else 'stats')
request = urllib.request.Request(url, data=b'' if reset else None, method='POST' if reset else 'GET')  # noqa: S310
with urllib.request.urlopen(request, context=context, timeout=10) as answer:  # noqa: S310 - https, loopback
    print(json.dumps(json.load(answer)))
