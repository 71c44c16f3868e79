from shared.runtime import serve

from .app import SPEC
from .settings import ConsoleSettings

serve(SPEC, ConsoleSettings())
