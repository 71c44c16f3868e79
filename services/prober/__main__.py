from shared.runtime import serve

from .app import SPEC
from .settings import ProberSettings

serve(SPEC, ProberSettings())
