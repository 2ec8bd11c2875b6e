"""A TCP proxy a test can cut: it stands between the code under test and PostgreSQL (never the shared server)."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``upstream`` until cut.

    ``cut()`` makes the server unreachable: every link is closed and new connections are refused at once.
    ``cut(silent=True)`` is a network split: the server's side closes (the server ends the session and frees
    its locks) while the client's side stays open and silent, nothing forwarded and no error seen, and new
    connections hang. ``restore()`` closes what was held (as a reset would) and forwards again.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.silent = False
        self.guard = threading.Lock()
        self.clients: list[socket.socket] = []
        self.servers: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.guard:
                if self.down.is_set() and not self.silent:
                    _close(client)  # refused
                    continue
                self.clients.append(client)
                if self.down.is_set():
                    continue  # held, silent, until the link comes back
                server = socket.create_connection(self.upstream)
                self.servers.append(server)
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if self.down.is_set():
                continue  # black hole
            try:
                target.sendall(data)
            except OSError:
                break
        if not (self.down.is_set() and self.silent):
            _close(target)

    def cut(self, *, silent: bool = False) -> None:
        with self.guard:
            self.silent = silent
            self.down.set()
            for server in self.servers:
                _close(server)
            self.servers.clear()
            if not silent:
                for client in self.clients:
                    _close(client)
                self.clients.clear()

    def restore(self) -> None:
        with self.guard:
            for client in self.clients:
                _close(client)
            self.clients.clear()
            self.down.clear()

    def close(self) -> None:
        self.listener.close()
        with self.guard:
            for sock in self.clients + self.servers:
                _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
