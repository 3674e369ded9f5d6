"""closeframe: a sans-IO codec for the WebSocket close frame.

Parse and serialize close payloads (RFC 6455 §5.5.1, §7.4), map them onto
the WHATWG ``CloseEvent``, and tell which codes may appear on the wire.
"""

from __future__ import annotations

from .application import *  # noqa: F403
from .application import __all__ as _application_all
from .codes import *  # noqa: F403
from .codes import __all__ as _codes_all
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .events import *  # noqa: F403
from .events import __all__ as _events_all
from .frame import *  # noqa: F403
from .frame import __all__ as _frame_all
from .handshake import *  # noqa: F403
from .handshake import __all__ as _handshake_all
from .payload import *  # noqa: F403
from .payload import __all__ as _payload_all

__version__ = "0.1.0"

__all__ = [  # noqa: PLE0604
    *_application_all,
    *_codes_all,
    *_errors_all,
    *_events_all,
    *_frame_all,
    *_handshake_all,
    *_payload_all,
]
