#!/usr/bin/env python3
"""A TCP forwarder for the second node (e2e/node/cluster.sh `up --clusters 2`).

Node 2 lives in a network namespace of its own, so its containerd cannot reach the local
registry on this machine's 127.0.0.1:5001. This listens on this machine's end of node 2's
veth and forwards each connection, byte for byte, to the registry; it admits only callers
from --allow (node 2's end of the veth), so the registry is not offered to anyone else.

  forward.py --listen HOST:PORT --to HOST:PORT --allow CIDR --ready-file PATH
"""
import argparse
import asyncio
import ipaddress
import signal


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except RuntimeError:
            pass


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--allow", required=True, type=ipaddress.ip_network)
    p.add_argument("--ready-file", required=True)
    a = p.parse_args()
    lhost, lport = a.listen.rsplit(":", 1)
    thost, tport = a.to.rsplit(":", 1)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")[0]
        if ipaddress.ip_address(peer) not in a.allow:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(thost, int(tport)), 10)
        except (OSError, asyncio.TimeoutError):
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, lhost, int(lport))
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(s, stop.set)
    with open(a.ready_file, "w") as f:
        f.write(f"{a.listen} -> {a.to}\n")
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
