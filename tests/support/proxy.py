"""A tiny counting HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (HTTPS) and absolute-form
forwarding (plain HTTP). It only ever connects to 127.0.0.1, so nothing a test sends through it can
leave the machine; every request head it sees is kept, so a test can tell whether (and how) the client
used it.
"""

import socket
import threading


def pump(src, dst, stop, on_sent=None, stall_after=None, stall_seconds=120):
    """Copy bytes from socket ``src`` to ``dst`` until end of stream, a socket error or ``stop`` (a
    threading.Event) is set; then shut both sockets down and close them.

    ``on_sent(n)`` is called after each ``n`` bytes forwarded. With ``stall_after``, once a chunk
    would take the total past that many bytes, only the bytes up to it are forwarded, then the
    connection is held open without a byte more for ``stall_seconds`` (or until ``stop``)."""
    sent = 0
    try:
        while not stop.is_set():
            data = src.recv(65536)
            if not data:
                break
            if stall_after is not None and sent + len(data) > stall_after:
                data = data[:max(0, stall_after - sent)]
                dst.sendall(data)
                if on_sent is not None:
                    on_sent(len(data))
                stop.wait(stall_seconds)
                break
            dst.sendall(data)
            sent += len(data)
            if on_sent is not None:
                on_sent(len(data))
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class CountingProxy:
    def __init__(self):
        self.requests = []          # (method, target) per request head seen
        self.refused = []           # targets it would not connect to (not 127.0.0.1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(('127.0.0.1', 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        threading.Thread(target=self._accept, daemon=True).start()

    def count(self, method=None):
        with self._lock:
            return len([r for r in self.requests if method is None or r[0] == method])

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, dummy = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        client.settimeout(30)
        try:
            head = b''
            while b'\r\n\r\n' not in head and len(head) < 65536:
                data = client.recv(4096)
                if not data:
                    client.close()
                    return
                head += data
            line = head.split(b'\r\n', 1)[0].decode('latin-1')
            method, target = (line.split(' ') + ['', ''])[:2]
            with self._lock:
                self.requests.append((method, target))
            if method == 'CONNECT':
                host, dummy, port = target.rpartition(':')
                rest = head.split(b'\r\n\r\n', 1)[1]
            else:  # absolute-form: http://host:port/path; the emulator accepts that request line as is
                hostport = target.split('://', 1)[-1].split('/', 1)[0]
                host, dummy, port = hostport.rpartition(':')
                rest = head
            if host not in ('127.0.0.1', '[127.0.0.1]'):
                with self._lock:
                    self.refused.append(target)
                client.sendall(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
                client.close()
                return
            upstream = socket.create_connection(('127.0.0.1', int(port or 80)), timeout=30)
            if method == 'CONNECT':
                client.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            if rest:
                upstream.sendall(rest)
        except (OSError, ValueError):
            client.close()
            return
        threading.Thread(target=pump, args=(upstream, client, self._stop), daemon=True).start()
        pump(client, upstream, self._stop)

    def close(self):
        self._stop.set()
        self._sock.close()
