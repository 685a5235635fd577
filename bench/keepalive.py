"""COUNT keep-alive GETs of PATH on one connection to 127.0.0.1:PORT, each
answered 200 (asserted), for the instruction counts (bench/instructions.sh,
bench/http-stack.sh).

    keepalive.py PORT PATH COUNT [TOKEN [FROM]] PROOFS

With TOKEN, each request carries `Authorization: Bearer TOKEN`; with FROM too,
the token is DPoP-bound and request n carries line FROM + n of the file
PROOFS as its `DPoP` proof (proofs for http://127.0.0.1:PORT/hello/). PROOFS
is read only then.
"""
import socket, sys
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
token = sys.argv[4] if len(sys.argv) > 5 else None
proofs = []
if len(sys.argv) > 6:
    start = int(sys.argv[5])
    proofs = open(sys.argv[6]).read().split("\n")[start:start + count]

def request(n):
    if token is None:
        return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    if not proofs:
        return f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    # The proofs name http://127.0.0.1:PORT/hello/.
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: DPoP {token}\r\nDPoP: {proofs[n]}\r\n\r\n").encode()

connection, pending = socket.create_connection(("127.0.0.1", port)), b""
for n in range(count):
    connection.sendall(request(n))
    while True:
        end = pending.find(b"\r\n\r\n")
        if end >= 0:
            head = pending[:end].decode().lower()
            length = int(head.split("content-length:")[1].split("\r\n")[0])
            if len(pending) >= end + 4 + length:
                assert head.startswith("http/1.1 200"), head
                pending = pending[end + 4 + length:]
                break
        pending += connection.recv(65536)
