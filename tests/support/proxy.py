"""A tiny counting HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels (HTTPS) and absolute-form
forwarding (plain HTTP). It only ever connects to 127.0.0.1, so nothing a test sends through it can
leave the machine; every request head it sees is kept, so a test can tell whether (and how) the client
used it.
"""

import socket
import threading


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
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, src, dst):
        try:
            while not self._stop.is_set():
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self):
        self._stop.set()
        self._sock.close()
