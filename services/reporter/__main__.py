from services.reporter.app import SPEC
from services.reporter.settings import ReporterSettings
from shared.runtime import serve

serve(SPEC, ReporterSettings())
