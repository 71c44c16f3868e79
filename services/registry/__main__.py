from shared.runtime import serve

from .app import SPEC
from .settings import RegistrySettings

serve(SPEC, RegistrySettings())
