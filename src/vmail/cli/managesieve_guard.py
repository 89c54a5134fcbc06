"""ManageSieve guard (Art. 17.1: official mail stays on official addresses).

Dovecot runs it after a ManageSieve login (post-login script, ``script-login``) with the
client's connection on stdin/stdout (already decrypted by the login process), and it starts
the real managesieve process (its arguments) behind a socket pair. Everything passes through
unchanged except PUTSCRIPT and CHECKSCRIPT of a script that redirects outside the domains of
``DOMAINS_FILE`` (``vmail.sieve``): those are answered NO by the server itself, so it never
stores them and the old script stays active, whatever client uploads them. A missing or empty
domains file refuses every redirect (fail closed).
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import threading

from vmail.sieve import read_domains, refusal, refused_redirect

DOMAINS_FILE = os.environ.get("VMAIL_SIEVE_DOMAINS_FILE", "/etc/dovecot/vmail-sieve-redirect-domains")
LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n$")
QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')


class Reader:
    """Client input: what the login process had already read, then the connection."""

    def __init__(self, fd: int, pending: bytes) -> None:
        self.fd, self.buffer = fd, pending

    def _fill(self) -> None:
        data = os.read(self.fd, 65536)
        if not data:
            raise EOFError
        self.buffer += data

    def line(self) -> bytes:
        while b"\n" not in self.buffer:
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def pump(sock: socket.socket, fd: int) -> None:
    """The server's answers, unchanged, to the client."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            while data:
                data = data[os.write(fd, data):]
    except OSError:
        pass


def read_command(reader: Reader) -> tuple[bytes, bytes, list[bytes]]:
    """One whole command: its bytes, its verb, its strings (quoted or literal) in order."""
    raw, strings = b"", []
    while True:
        line = reader.line()
        raw += line
        literal = LITERAL.search(line)
        head = line[:literal.start()] if literal else line
        strings += [re.sub(rb"\\(.)", rb"\1", q) for q in QUOTED.findall(head)]
        if not literal:
            break
        data = reader.exactly(int(literal.group(1)))
        raw += data
        strings.append(data)
    words = raw.split(None, 1)
    return raw, (words[0].upper() if words else b""), strings


def checked(raw: bytes, verb: bytes, strings: list[bytes], domains: frozenset[str]) -> bytes:
    """The command to pass on: unchanged, or with the script replaced by a refusal."""
    if verb not in (b"PUTSCRIPT", b"CHECKSCRIPT") or not strings:
        return raw
    refused = refused_redirect(strings[-1].decode("utf-8", "replace"), domains)
    if refused is None:
        return raw
    script = refusal(*refused)
    name = b""
    if verb == b"PUTSCRIPT" and len(strings) >= 2:
        name = b'"' + strings[0].replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'" '
    return verb + b" " + name + b"{" + str(len(script)).encode() + b"+}\r\n" + script + b"\r\n"


def load_domains(path: str = DOMAINS_FILE) -> frozenset[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return read_domains(handle.read())
    except OSError:
        return frozenset()


def main() -> None:
    domains = load_domains()
    # Input the login process had read past AUTHENTICATE is checked like the rest.
    pending = b""
    if "CLIENT_INPUT" in os.environ:
        try:
            pending = base64.b64decode(os.environ["CLIENT_INPUT"], validate=True)
            del os.environ["CLIENT_INPUT"]
        except ValueError:
            pending = b""
    # Dovecot hands the connection over non-blocking; this process just waits on it.
    os.set_blocking(0, True)
    os.set_blocking(1, True)
    ours, theirs = socket.socketpair()
    # The arguments are script-login again: it hands its stdout (our socket pair) to the
    # waiting managesieve process as the client connection, and exits.
    server = subprocess.Popen(sys.argv[1:], stdin=theirs.fileno(), stdout=theirs.fileno(), close_fds=False)
    theirs.close()
    answers = threading.Thread(target=pump, args=(ours, 1))
    answers.start()
    reader = Reader(0, pending)
    try:
        while True:
            ours.sendall(checked(*read_command(reader), domains))
    except (EOFError, OSError):
        pass
    try:
        ours.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    code = server.wait()
    answers.join(30)
    sys.exit(code)


if __name__ == "__main__":
    main()
