"""FaaSpot Python client.

    from faaspot import Faaspot
    faaspot = Faaspot()
    faaspot.functions.create('hello', file='hello.py')
    faaspot.functions.run('hello', {'name': 'user1'}, wait=True)

Every error the server answers, and every failure to reach it, raises ``FaaspotError`` with the
server's ``code`` and ``message``.
"""

from ._version import __version__
from .client import Faaspot
from .errors import CONFIG_ERROR, CONNECTION_ERROR, INVALID_RESPONSE, FaaspotConfigError, FaaspotError
from .executions import TERMINAL_STATUSES, ExecutionPage, Executions
from .functions import Functions

__all__ = [
    "Faaspot",
    "FaaspotError",
    "FaaspotConfigError",
    "Functions",
    "Executions",
    "ExecutionPage",
    "TERMINAL_STATUSES",
    "CONNECTION_ERROR",
    "CONFIG_ERROR",
    "INVALID_RESPONSE",
    "__version__",
]
