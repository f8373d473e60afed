"""A small RFC 6455 websocket server for the DOUBLES (part of the TrueNAS double; not vendor software).

Threaded, one thread per connection, optional TLS. Enough of RFC 6455 for a JSON-RPC server: the HTTP/1.1
upgrade handshake (Sec-WebSocket-Accept), masked client frames, text and binary messages (fragmented or not),
ping/pong and close. A handler gets a Connection with recv() -> str | None and send(str), and may close() it
abruptly (no close frame) to play a dropped network.

    server = WebSocketServer(('127.0.0.1', 18401), handler, path='/api/current', ssl_context=ctx)
    server.serve_forever()
"""

import base64
import contextlib
import hashlib
import socket
import socketserver
import struct
import threading

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
MAX_MESSAGE = 16 * 1024 * 1024


class Closed(Exception):
    """The peer went away (or sent a close frame)."""


class Connection:
    def __init__(self, sock, address, path):
        self.sock = sock
        self.address = address
        self.path = path
        self.lock = threading.Lock()
        self.closed = False
        self.data = {}  # per-connection state of the application

    def _read_exact(self, count):
        chunks, need = [], count
        while need:
            try:
                chunk = self.sock.recv(need)
            except OSError:
                raise Closed() from None
            if not chunk:
                raise Closed()
            chunks.append(chunk)
            need -= len(chunk)
        return b''.join(chunks)

    def _frame(self):
        head = self._read_exact(2)
        fin, opcode = head[0] & 0x80, head[0] & 0x0F
        masked, length = head[1] & 0x80, head[1] & 0x7F
        if length == 126:
            length = struct.unpack('!H', self._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack('!Q', self._read_exact(8))[0]
        if length > MAX_MESSAGE:
            raise Closed()
        if not masked:  # RFC 6455 5.1: a server MUST close on an unmasked client frame
            self.close(1002)
            raise Closed()
        mask = self._read_exact(4)
        payload = bytearray(self._read_exact(length))
        for index in range(length):
            payload[index] ^= mask[index % 4]
        return bool(fin), opcode, bytes(payload)

    def recv(self):
        """The next text or binary message as str, or None when the peer closed."""
        parts = []
        try:
            while True:
                fin, opcode, payload = self._frame()
                if opcode == 0x8:
                    self.close(1000)
                    return None
                if opcode == 0x9:
                    self._send_frame(0xA, payload)
                    continue
                if opcode == 0xA:
                    continue
                parts.append(payload)
                if fin:
                    return b''.join(parts).decode('utf-8')
        except Closed:
            self.closed = True
            return None

    def _send_frame(self, opcode, payload):
        length = len(payload)
        if length < 126:
            head = struct.pack('!BB', 0x80 | opcode, length)
        elif length < 65536:
            head = struct.pack('!BBH', 0x80 | opcode, 126, length)
        else:
            head = struct.pack('!BBQ', 0x80 | opcode, 127, length)
        with self.lock:
            if self.closed:
                raise Closed()
            try:
                self.sock.sendall(head + payload)
            except OSError:
                self.closed = True
                raise Closed() from None

    def send(self, text):
        self._send_frame(0x1, text.encode('utf-8'))

    def close(self, code=None):
        """With a code: a close frame first (a polite close). Without: the socket just goes away."""
        if self.closed:
            return
        if code is not None:
            with contextlib.suppress(Closed):
                self._send_frame(0x8, struct.pack('!H', code))
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def _read_request(sock):
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return None, {}
        data += chunk
        if len(data) > 65536:
            return None, {}
    head = data.split(b'\r\n\r\n', 1)[0].decode('latin-1').split('\r\n')
    headers = {}
    for line in head[1:]:
        name, _sep, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return head[0], headers


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        sock = self.request
        try:
            request_line, headers = _read_request(sock)
        except OSError:
            return
        if not request_line:
            return
        parts = request_line.split()
        path = parts[1] if len(parts) > 1 else ''
        refusal = server.admit(self.client_address) if server.admit else None
        if refusal:
            sock.sendall(('HTTP/1.1 503 Service Unavailable\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s'
                          % (len(refusal), refusal)).encode('latin-1'))
            return
        key = headers.get('sec-websocket-key')
        if headers.get('upgrade', '').lower() != 'websocket' or not key or path.split('?')[0] not in server.paths:
            body = 'this double serves JSON-RPC over a websocket at %s\n' % ', '.join(server.paths)
            sock.sendall(('HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s'
                          % (len(body), body)).encode('latin-1'))
            return
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode('ascii')).digest()).decode('ascii')  # noqa: S324
        sock.sendall(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                      'Sec-WebSocket-Accept: %s\r\n\r\n' % accept).encode('latin-1'))
        connection = Connection(sock, self.client_address, path)
        try:
            server.app(connection)
        finally:
            connection.close()


class WebSocketServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app, paths=('/api/current',), ssl_context=None, admit=None):
        self.app = app
        self.paths = tuple(paths)
        self.ssl_context = ssl_context
        self.admit = admit  # callable(client_address) -> None, or a reason to refuse the upgrade
        socketserver.TCPServer.__init__(self, address, _Handler)

    def get_request(self):
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock.settimeout(10)
            try:
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
            except OSError:
                sock.close()
                raise
            sock.settimeout(None)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # a client that hangs up mid-handshake is not news
