"""``closeframe probe``: a live WebSocket server's close handling, tested over the wire.

The sans-IO codec stays free of I/O: this package is the only part of
closeframe that opens sockets, and nothing imports it but the ``probe``
command.  It connects once per scenario (scenarios.py) with a hand-written
client (_client.py), writes frames valid or not (_wire.py), records what the
server does, and judges it against what :class:`~closeframe.ClosingHandshake`
does in the server role (judge.py).
"""
